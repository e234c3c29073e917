package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.FileType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary format of one directory tree object (or one part of a large directory), stored as a
 * content object and addressed by the SHA-256 of these bytes, so an unchanged directory has the
 * same digest in every snapshot.
 *
 * <p>Layout: magic {@code SKT1}, a kind byte, a varint count, then the records. A <b>leaf</b>
 * (kind 0) lists entries sorted by name ({@link PathOrder}): name (modified UTF-8, as
 * {@link java.io.DataOutputStream#writeUTF}), a flags byte (type ordinal, {@link #TORN}, {@link #IMPLICIT}),
 * varints mode, size, then zigzag varints mtime, inode, ctime, uid, gid, and the 32-byte content
 * digest (files), the 32-byte digest of the child tree (directories) or the target (symlinks). An
 * <b>index</b> (kind 1) lists its parts in order: each part's first name and the part's digest; a
 * part is a leaf or another index. A directory whose leaf would exceed {@link #LEAF_ENTRIES}
 * entries or {@link #LEAF_BYTES} bytes is split into parts, and an index of more than {@link
 * #FANOUT} parts into a further level, so no single object (and no reader or writer) holds a
 * million-entry directory at once.
 *
 * <p>An {@link #IMPLICIT} directory stands for a parent that an ingested entry stream never
 * listed itself: it holds the children, and readers do not report it as an entry.
 */
final class TreeNode {
  static final int MAGIC = 0x534B5431;
  static final int LEAF = 0;
  static final int INDEX = 1;
  static final int TORN = 0x10;
  static final int IMPLICIT = 0x20;
  /** Entries per leaf at most. */
  static final int LEAF_ENTRIES = 1000;
  /** A leaf is cut once its records reach this many bytes. */
  static final int LEAF_BYTES = 64 << 10;
  /** Parts per index at most. */
  static final int FANOUT = 1000;
  /** No tree object is larger than this; a larger one is damaged. */
  static final int MAX_BYTES = 8 << 20;
  /** The types by their code, read once: {@code FileType.values()} copies the array on every call. */
  private static final FileType[] TYPES = FileType.values();

  private TreeNode() {}

  /** One record of a leaf: the entry (its path relative to nothing: just the name) and its child tree. */
  record Item(String name, int flags, int mode, long size, long mtime, long inode, long ctime, int uid, int gid,
      Digest digest, String target) {
    FileType type() {
      return TYPES[flags & 0x0F];
    }

    boolean implicit() {
      return (flags & IMPLICIT) != 0;
    }

    /** The entry this record stands for, at {@code path} of {@code volume}. */
    Entry entry(String volume, String path) {
      FileType t = type();
      return new Entry(volume, path, t, mode, size, mtime, inode, ctime, t == FileType.FILE ? digest : null,
          target, (flags & TORN) != 0, uid, gid);
    }

    /** The child tree of a directory record. */
    Digest tree() {
      return type() == FileType.DIRECTORY ? digest : null;
    }
  }

  /** One part of an index: its first name and digest. */
  record Part(String firstName, Digest digest) {}

  /** A decoded node: items (leaf) or parts (index). */
  record Decoded(List<Item> items, List<Part> parts) {
    boolean leaf() {
      return items != null;
    }
  }

  /** Encodes leaf records one by one. */
  static final class LeafWriter {
    private final TreeBytesWriter out = new TreeBytesWriter(1 << 12);
    private int count;
    private String first;
    private String last;

    void add(String name, Entry e, Digest tree, boolean implicit) {
      if (last != null && PathOrder.compare(last, name) >= 0) {
        throw SnapshotException.invalid("'" + e.key() + "' comes twice, or lies under an entry that is not a "
            + "directory; nothing was stored");
      }
      out.writeUtf(name);
      out.writeByte(e.type().ordinal() | (e.torn() ? TORN : 0) | (implicit ? IMPLICIT : 0));
      out.writeVarLong(e.mode());
      out.writeVarLong(e.size());
      out.writeVarLong(zigzag(e.mtimeNanos()));
      out.writeVarLong(zigzag(e.inode()));
      out.writeVarLong(zigzag(e.ctimeNanos()));
      out.writeVarLong(zigzag(e.uid()));
      out.writeVarLong(zigzag(e.gid()));
      switch (e.type()) {
        case FILE -> out.write(e.digest());
        case DIRECTORY -> out.write(tree);
        case SYMLINK -> out.writeUtf(e.linkTarget());
      }
      if (first == null) {
        first = name;
      }
      last = name;
      count++;
    }

    int bytes() {
      return out.size();
    }

    int count() {
      return count;
    }

    String first() {
      return first;
    }

    /** The encoded leaf; the writer starts over empty. */
    byte[] take() {
      byte[] b = node(LEAF, count, out);
      out.reset();
      count = 0;
      first = null;
      return b;
    }
  }

  static byte[] index(List<Part> parts) {
    TreeBytesWriter out = new TreeBytesWriter(parts.size() * 48);
    for (Part p : parts) {
      out.writeUtf(p.firstName());
      out.write(p.digest());
    }
    return node(INDEX, parts.size(), out);
  }

  private static byte[] node(int kind, int count, TreeBytesWriter records) {
    TreeBytesWriter out = new TreeBytesWriter(records.size() + 16);
    out.writeInt(MAGIC);
    out.writeByte(kind);
    out.writeVarLong(count);
    records.writeTo(out);
    return out.toByteArray();
  }

  /**
   * Decodes a node.
   *
   * @throws SnapshotException CORRUPT if the bytes are not a well-formed tree node
   */
  static Decoded decode(Digest digest, byte[] data) {
    try {
      TreeBytes in = new TreeBytes(data);
      if (in.readInt() != MAGIC) {
        throw corrupt(digest);
      }
      int kind = in.readUnsignedByte();
      long count = readVarLong(in, digest);
      if (count > data.length) {
        throw corrupt(digest);
      }
      String previous = null;
      if (kind == LEAF) {
        List<Item> items = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
          String name = name(in, digest, previous);
          int flags = in.readUnsignedByte();
          if ((flags & 0x0F) >= FileType.values().length || (flags & ~(0x0F | TORN | IMPLICIT)) != 0) {
            throw corrupt(digest);
          }
          int mode = (int) readVarLong(in, digest) & 07777;
          long size = readVarLong(in, digest);
          long mtime = unzigzag(readVarLong(in, digest));
          long inode = unzigzag(readVarLong(in, digest));
          long ctime = unzigzag(readVarLong(in, digest));
          int uid = (int) unzigzag(readVarLong(in, digest));
          int gid = (int) unzigzag(readVarLong(in, digest));
          if ((uid == Entry.NO_OWNER) != (gid == Entry.NO_OWNER)) {
            throw corrupt(digest);
          }
          FileType type = TYPES[flags & 0x0F];
          if ((flags & IMPLICIT) != 0 && type != FileType.DIRECTORY) {
            throw corrupt(digest);
          }
          Digest d = null;
          String target = null;
          if (type == FileType.SYMLINK) {
            target = in.readUtf();
          } else {
            d = in.readDigest();
          }
          items.add(new Item(name, flags, mode, size, mtime, inode, ctime, uid, gid, d, target));
          previous = name;
        }
        end(in, digest);
        return new Decoded(items, null);
      }
      if (kind == INDEX && count > 0) {
        List<Part> parts = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
          String name = name(in, digest, previous);
          parts.add(new Part(name, in.readDigest()));
          previous = name;
        }
        end(in, digest);
        return new Decoded(null, parts);
      }
      throw corrupt(digest);
    } catch (IOException e) {
      throw corrupt(digest);
    }
  }

  private static String name(TreeBytes in, Digest digest, String previous) throws IOException {
    String name = in.readUtf();
    if (name.isEmpty() || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0
        || (previous != null && PathOrder.compare(previous, name) >= 0)) {
      throw corrupt(digest);
    }
    return name;
  }

  private static void end(TreeBytes in, Digest digest) {
    if (!in.atEnd()) {
      throw corrupt(digest);
    }
  }

  static SnapshotException corrupt(Digest d) {
    return new SnapshotException(ErrorCode.CORRUPT, "the directory tree " + d + " is damaged; run the repository "
        + "check to find the affected snapshots, delete them and restore another one");
  }

  private static long readVarLong(TreeBytes in, Digest digest) throws IOException {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = in.readUnsignedByte();
      v |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw corrupt(digest);
  }

  private static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  private static long unzigzag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }
}

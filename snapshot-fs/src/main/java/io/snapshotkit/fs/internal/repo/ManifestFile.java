package io.snapshotkit.fs.internal.repo;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.FileType;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UTFDataFormatException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The per-snapshot manifest file: every entry in {@link io.snapshotkit.fs.FileEntry#ORDER}, prefix-compressed and
 * zstd-compressed, read and written as a stream so a million entries never sit in memory.
 *
 * <p>Layout inside the zstd frame: magic {@code SKM2}; per entry a tag byte (1 = same volume as
 * the previous entry, 2 = a new volume whose name follows), the length of the path prefix shared
 * with the previous path, the rest of the path, the type and flags, varint mode, size, mtime,
 * inode, ctime, uid and gid, then the 32-byte digest (files) or the target (symlinks); a 0 tag
 * and the entry count end the file, so a truncated manifest is detected.
 *
 * <p><b>Versions.</b> {@code SKM2} added the numeric owner (uid and gid, zigzag varints, -1 for
 * an entry without a recorded owner). {@code SKM1} manifests, written before owners were
 * captured, have no uid and gid and still read: their entries have no owner.
 *
 * <p><b>Names.</b> Paths and targets are stored as their {@link
 * io.snapshotkit.fs.internal.RawNames} text in modified UTF-8, which encodes each char on its own,
 * lone surrogates included: a name that is not valid UTF-8 (each stray byte a lone surrogate
 * U+DC80..U+DCFF) is stored losslessly, with no change to the format. A manifest written before
 * names were read as raw bytes reads as it always did (its non-UTF-8 names had been replaced by
 * U+FFFD at capture, which no reader can undo). The mode keeps the setuid, setgid and sticky bits
 * ({@code 07777}); older manifests hold {@code 0777} values, which read the same.
 */
public final class ManifestFile {
  /** {@code SKM1}: entries without owners. */
  public static final int V1 = 0x534B4D31;
  /** {@code SKM2}: entries with uid and gid. */
  public static final int V2 = 0x534B4D32;
  private static final int TORN = 0x10;

  private ManifestFile() {}

  /** Streams entries to a file; entries must arrive in order. Confined to one thread. */
  public static final class Writer implements Closeable {
    private static final int FLUSH_AT = 60 << 10;
    private final OutputStream raw;
    private final OutputStream out;
    // entries are encoded into this array and handed to the compressor in large blocks: cheaper,
    // and far quicker for the JIT to compile, than a DataOutputStream over a BufferedOutputStream
    private byte[] buf = new byte[64 << 10];
    private int pos;
    private String volume = "";
    private String path = "";
    private Entry previous;
    private long count;
    private final boolean owners;

    public Writer(Path file, int level) throws IOException {
      this(file, level, V2);
    }

    /**
     * A writer of the given format version: {@link #V2}, or {@link #V1} (owners are not written),
     * which only tests of reading older manifests use.
     */
    public Writer(Path file, int level, int version) throws IOException {
      if (version != V1 && version != V2) {
        throw new IllegalArgumentException("no manifest version " + Integer.toHexString(version));
      }
      this.raw = Files.newOutputStream(file);
      this.out = new ZstdOutputStream(raw, level);
      this.owners = version == V2;
      writeInt(version);
    }

    public void write(Entry e) throws IOException {
      if (previous != null && previous.compareKey(e) >= 0) {
        throw new IllegalStateException("manifest entries out of order: " + previous.key() + " then " + e.key());
      }
      if (count == 0 || !e.volume().equals(volume)) {
        writeByte(2);
        writeUtf(e.volume());
        volume = e.volume();
        path = "";
      } else {
        writeByte(1);
      }
      int shared = 0;
      int max = Math.min(path.length(), e.path().length());
      while (shared < max && path.charAt(shared) == e.path().charAt(shared)) {
        shared++;
      }
      writeVarLong(shared);
      writeUtf(e.path().substring(shared));
      writeByte(e.type().ordinal() | (e.torn() ? TORN : 0));
      writeVarLong(e.mode());
      writeVarLong(e.size());
      writeVarLong(zigzag(e.mtimeNanos()));
      writeVarLong(zigzag(e.inode()));
      writeVarLong(zigzag(e.ctimeNanos()));
      if (owners) {
        writeVarLong(zigzag(e.uid()));
        writeVarLong(zigzag(e.gid()));
      }
      if (e.type() == FileType.FILE) {
        byte[] d = e.digest().bytes();
        ensure(d.length);
        System.arraycopy(d, 0, buf, pos, d.length);
        pos += d.length;
      } else if (e.type() == FileType.SYMLINK) {
        writeUtf(e.linkTarget());
      }
      path = e.path();
      previous = e;
      count++;
      if (pos >= FLUSH_AT) {
        drain();
      }
    }

    long count() {
      return count;
    }

    @Override
    public void close() throws IOException {
      writeByte(0);
      writeLong(count);
      drain();
      out.close();
    }

    /** Closes the stream without the end marker, for a writer being abandoned. */
    void abandon() {
      try {
        out.close();
      } catch (IOException ignored) {
        // the file is deleted by the caller
      }
      // A failed write (a full disk) can leave the compressor unable to close what it wraps; close
      // the file itself too, or the deleted file keeps its descriptor and its disk space.
      try {
        raw.close();
      } catch (IOException ignored) {
        // already closed, or nothing more to release
      }
    }

    private void drain() throws IOException {
      out.write(buf, 0, pos);
      pos = 0;
    }

    private void ensure(int n) {
      if (buf.length - pos < n) {
        buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
      }
    }

    private void writeByte(int b) {
      ensure(1);
      buf[pos++] = (byte) b;
    }

    private void writeInt(int v) {
      ensure(4);
      for (int shift = 24; shift >= 0; shift -= 8) {
        buf[pos++] = (byte) (v >>> shift);
      }
    }

    private void writeLong(long v) {
      ensure(8);
      for (int shift = 56; shift >= 0; shift -= 8) {
        buf[pos++] = (byte) (v >>> shift);
      }
    }

    private void writeVarLong(long v) {
      ensure(10);
      while ((v & ~0x7FL) != 0) {
        buf[pos++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buf[pos++] = (byte) v;
    }

    /**
     * A string as {@link java.io.DataOutput#writeUTF} writes it (which {@link
     * DataInputStream#readUTF} reads): a two-byte length, then modified UTF-8 (NUL and each
     * surrogate encoded on their own).
     */
    private void writeUtf(String s) throws UTFDataFormatException {
      int n = s.length();
      ensure(2 + 3 * n);
      int lengthAt = pos;
      pos += 2;
      for (int i = 0; i < n; i++) {
        char c = s.charAt(i);
        if (c >= 0x01 && c <= 0x7F) {
          buf[pos++] = (byte) c;
        } else if (c <= 0x7FF) {
          buf[pos++] = (byte) (0xC0 | (c >> 6));
          buf[pos++] = (byte) (0x80 | (c & 0x3F));
        } else {
          buf[pos++] = (byte) (0xE0 | (c >> 12));
          buf[pos++] = (byte) (0x80 | ((c >> 6) & 0x3F));
          buf[pos++] = (byte) (0x80 | (c & 0x3F));
        }
      }
      int length = pos - lengthAt - 2;
      if (length > 0xFFFF) {
        pos = lengthAt;
        throw new UTFDataFormatException("a name in the manifest is longer than 65535 encoded bytes");
      }
      buf[lengthAt] = (byte) (length >>> 8);
      buf[lengthAt + 1] = (byte) length;
    }
  }

  /** Streams entries from a manifest file. Confined to one thread. */
  public static final class Reader implements Iterator<Entry>, Closeable {
    private final Path file;
    private final DataInputStream in;
    private String volume = "";
    private String path = "";
    private Entry next;
    private Entry last;
    private long count;
    private boolean done;
    private final boolean owners;

    private Reader(Path file, InputStream raw) throws IOException {
      this.file = file;
      this.in = new DataInputStream(new BufferedInputStream(new ZstdInputStream(raw), 1 << 16));
      try {
        int magic = in.readInt();
        if (magic != V1 && magic != V2) {
          throw corrupt(file, null);
        }
        owners = magic == V2;
      } catch (IOException e) {
        in.close();
        throw corrupt(file, e);
      }
    }

    /**
     * Opens a manifest file.
     *
     * @throws NoSuchFileException if it does not exist
     * @throws SnapshotException CORRUPT if it is not a manifest
     */
    public static Reader open(Path file) throws IOException {
      return new Reader(file, Files.newInputStream(file));
    }

    @Override
    public boolean hasNext() {
      if (next == null && !done) {
        next = read();
      }
      return next != null;
    }

    @Override
    public Entry next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      Entry e = next;
      next = null;
      return e;
    }

    /** The next entry without consuming it, or null at the end. */
    public Entry peek() {
      return hasNext() ? next : null;
    }

    private Entry read() {
      try {
        int tag = in.readUnsignedByte();
        if (tag == 0) {
          if (in.readLong() != count) {
            throw corrupt(file, null);
          }
          done = true;
          return null;
        }
        if (tag == 2) {
          volume = in.readUTF();
          path = "";
        } else if (tag != 1 || count == 0) {
          throw corrupt(file, null);
        }
        int shared = (int) readVarLong();
        if (shared > path.length()) {
          throw corrupt(file, null);
        }
        String p = path.substring(0, shared) + in.readUTF();
        int typeByte = in.readUnsignedByte();
        int ordinal = typeByte & 0x0F;
        if (ordinal >= FileType.values().length) {
          throw corrupt(file, null);
        }
        FileType type = FileType.values()[ordinal];
        int mode = (int) readVarLong();
        long size = readVarLong();
        long mtime = unzigzag(readVarLong());
        long inode = unzigzag(readVarLong());
        long ctime = unzigzag(readVarLong());
        int uid = Entry.NO_OWNER;
        int gid = Entry.NO_OWNER;
        if (owners) {
          uid = (int) unzigzag(readVarLong());
          gid = (int) unzigzag(readVarLong());
          if ((uid == Entry.NO_OWNER) != (gid == Entry.NO_OWNER)) {
            throw corrupt(file, null);
          }
        }
        Digest digest = null;
        String target = null;
        if (type == FileType.FILE) {
          byte[] d = new byte[Digest.BYTES];
          in.readFully(d);
          digest = Digest.of(d);
        } else if (type == FileType.SYMLINK) {
          target = in.readUTF();
        }
        Entry e = new Entry(volume, p, type, mode & 07777, size, mtime, inode, ctime, digest, target,
            (typeByte & TORN) != 0, uid, gid);
        if (last != null && last.compareKey(e) >= 0) {
          throw corrupt(file, null);
        }
        path = p;
        last = e;
        count++;
        return e;
      } catch (EOFException e) {
        throw corrupt(file, e);
      } catch (IOException e) {
        throw corrupt(file, e);
      }
    }

    private long readVarLong() throws IOException {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        int b = in.readUnsignedByte();
        v |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return v;
        }
      }
      throw corrupt(file, null);
    }

    @Override
    public void close() {
      try {
        in.close();
      } catch (IOException ignored) {
        // read-only stream; nothing to lose
      }
    }
  }

  static SnapshotException corrupt(Path file, Throwable cause) {
    return new SnapshotException(ErrorCode.CORRUPT,
        "the snapshot manifest " + file.getFileName() + " is truncated or damaged; run the repository check, "
            + "delete this snapshot and restore another one",
        cause);
  }

  private static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  private static long unzigzag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }
}

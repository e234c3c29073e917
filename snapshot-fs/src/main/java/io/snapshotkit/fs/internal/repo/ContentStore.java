package io.snapshotkit.fs.internal.repo;

import com.github.luben.zstd.ZstdException;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Content-addressed storage (repository format 2) on an {@link ObjectStore}: every content is a
 * zstd frame in a write-once pack ({@link PackFormat}), found through write-once index files.
 * A content smaller than the chunking threshold is stored whole and named by the SHA-256 of its
 * bytes; a larger one is cut into chunks ({@code FastCdc}), each stored as a content, and is
 * named by its {@link ChunkList}, itself stored as a content. {@link #open} resolves lists.
 *
 * <p><b>Concurrency.</b> The in-memory index (digest → location) is guarded by one monitor.
 * A capture works in a {@link ContentSession}: before it relies on content already stored it
 * {@link ContentSession#reuse pins} the digest (which fails if the content is gone), and content
 * it stores is pinned as it is published. The garbage collector ({@link ContentSweep}) removes
 * unreferenced content from the index under the same monitor, after adding every pinned digest
 * (and the chunks of every pinned list) to its mark set, and only for content published before
 * the collection started, so a concurrent capture never loses what it refers to. Thread-safe.
 */
public final class ContentStore {
  private static final Logger LOG = LoggerFactory.getLogger(ContentStore.class);
  /** Contents smaller than this are stored whole; larger ones are chunked. */
  public static final int SMALL = 1 << 20;
  /** The size gc merges small packs up to; a capture fills its packs to the store's {@link ObjectStore#packTarget()}. */
  static final long PACK_TARGET = 64L << 20;
  static final String PACKS = "packs/";
  static final String INDEX = "index/";

  /** Where one content lives. */
  record Location(String pack, long offset, int length, int rawSize, byte kind, long generation) {
    boolean list() {
      return kind == PackFormat.LIST;
    }
  }

  final ObjectStore objects;
  final int level;
  final int small;
  final Executor executor;
  final Object lock = new Object();
  final ContentIndex index;
  final Map<Long, Set<Digest>> pins = new HashMap<>();
  final AtomicLong generation = new AtomicLong(1);
  private final AtomicLong sessions = new AtomicLong();
  /**
   * Whether content a snapshot root refers to can be taken as stored while nothing was hidden from
   * the index ({@link ContentSession#reuseReferenced}): false when the store was found damaged at
   * open (an unreadable index file, or one naming a pack that is gone), or, on a shared store, when
   * the last reload found an index file naming a pack that is gone; a capture then looks every
   * digest up and stores again what is missing.
   */
  private volatile boolean trustReferences;
  /** Refreshes started on a shared store: see {@link #refreshes()}. */
  private final AtomicLong refreshes = new AtomicLong();
  final ZstdCodec codec;
  /** Whether other agents (hosts) write the same store: see {@link #refresh()}. */
  private final boolean shared;

  ContentStore(ObjectStore objects, int level, int small, Executor executor) throws IOException {
    this(objects, level, small, executor, false);
  }

  ContentStore(ObjectStore objects, int level, int small, Executor executor, boolean shared) throws IOException {
    this.shared = shared;
    this.objects = objects;
    this.small = small;
    this.level = level;
    this.executor = executor;
    this.codec = new ZstdCodec(level);
    this.index = new ContentIndex(objects);
    load();
  }

  private void load() throws IOException {
    Set<String> packs = new HashSet<>(objects.list(PACKS));
    Set<String> indexed = new HashSet<>();
    boolean readable = true;
    for (String idx : objects.list(INDEX)) {
      try {
        indexed.addAll(index.open(idx, 0, packs).packs);
      } catch (IOException | RuntimeException e) {
        readable = false;
        LOG.error("pack index {} is unreadable; its contents count as missing until the repository check "
            + "is run and the affected snapshots are deleted", idx, e);
      }
    }
    trustReferences = readable && index.allPacksLive();
    index.dropEmpty();
    if (shared) {
      return; // a pack without an index may be another agent's capture in progress: gc decides (removeUnindexedPacks)
    }
    for (String pack : packs) {
      if (!indexed.contains(pack)) {
        LOG.warn("removing pack {} left without an index by an interrupted capture or gc", pack);
        objects.delete(pack);
      }
    }
  }

  /**
   * On a shared store: loads the index files other agents published since this one last looked,
   * forgets those a gc merged away and the packs it deleted, so lookups see the store as it is.
   * On a store of its own the in-memory index is always current and this does nothing.
   */
  void refresh() throws IOException {
    if (!shared) {
      return;
    }
    synchronized (lock) {
      refreshes.incrementAndGet();
      Set<String> packs = new HashSet<>(objects.list(PACKS));
      Set<String> present = new HashSet<>(objects.list(INDEX));
      Set<String> known = new HashSet<>();
      List<IndexFile> gone = new java.util.ArrayList<>();
      for (IndexFile f : index.files()) {
        known.add(f.name);
        if (!present.contains(f.name)) {
          gone.add(f);
        }
      }
      for (String idx : present.stream().sorted().toList()) {
        if (!known.contains(idx)) {
          try {
            index.open(idx, generation.incrementAndGet(), packs);
          } catch (NoSuchFileException e) {
            // merged away by another agent's gc since the listing; its records are in the merged file
          }
        }
      }
      index.remove(gone);
      for (IndexFile f : index.files()) {
        for (String p : f.packs) {
          if (!packs.contains(p)) {
            index.packGone(f, p);
          }
        }
      }
      // an index naming a pack that is gone: another host's gc between deleting packs and merging
      // their index files, or a pack deleted by hand; either way look up until it is whole again
      trustReferences = index.allPacksLive();
    }
  }

  /**
   * On a shared store, deletes packs no index file lists: left by an agent killed between a pack
   * and its index. Call only while no capture of any agent runs (an exclusive lease, and no
   * session open here).
   *
   * @return the bytes removed
   */
  long removeUnindexedPacks() throws IOException {
    // under the lock throughout: no session of this host can open (and publish a pack) meanwhile
    synchronized (lock) {
      if (!shared || !pins.isEmpty()) {
        return 0;
      }
      Set<String> indexed = new HashSet<>();
      for (IndexFile f : index.files()) {
        indexed.addAll(f.packs);
      }
      long bytes = 0;
      for (String pack : objects.list(PACKS)) {
        if (!indexed.contains(pack)) {
          LOG.warn("removing pack {} left without an index by an interrupted capture or gc", pack);
          bytes += sizeOrZero(pack);
          objects.delete(pack);
        }
      }
      return bytes;
    }
  }

  /** Contents smaller than this are stored whole, larger ones are chunked. */
  public int smallLimit() {
    return small;
  }

  /** Frees the pooled zstd contexts. */
  void close() {
    codec.close();
  }

  /**
   * Whether the content is stored: the object itself and, for a chunked content, every chunk.
   */
  public boolean contains(Digest d) {
    Optional<Location> loc = location(d);
    if (loc.isEmpty()) {
      return false;
    }
    if (!loc.get().list()) {
      return true;
    }
    try {
      for (Digest c : list(d).chunks()) {
        if (location(c).isEmpty()) {
          return false;
        }
      }
      return true;
    } catch (SnapshotException e) {
      return false;
    }
  }

  Optional<Location> location(Digest d) {
    try {
      return Optional.ofNullable(index.find(d));
    } catch (SnapshotException e) {
      if (!shared || !(e.getCause() instanceof NoSuchFileException)) {
        throw e;
      }
      refreshAfterMiss(e);
      return Optional.ofNullable(index.find(d)); // another agent's gc merged the index files this one knew
    }
  }

  private void refreshAfterMiss(RuntimeException miss) {
    try {
      refresh();
    } catch (IOException e) {
      miss.addSuppressed(e);
      throw miss;
    }
  }

  /** Streams every stored content's index record (a content listed twice may come twice). */
  void forEachContent(IndexFile.RecordSink sink) throws IOException {
    index.forEach(Long.MAX_VALUE, sink);
  }

  /**
   * How many {@link #refresh}es have started on a shared store. A value read after some listing
   * returned, then a larger value later, means a refresh listed the index files after that listing:
   * it saw every index file published before anything that listing showed.
   */
  long refreshes() {
    return refreshes.get();
  }

  long generation() {
    return generation.get();
  }

  /**
   * Opens a content's bytes, verifying them as they are read (each chunk, and each list, against
   * its digest): a mismatch or a damaged frame throws {@link SnapshotException} CORRUPT from
   * {@code read}. A chunked content is streamed chunk by chunk, a few chunks decompressed ahead
   * on the executor.
   *
   * @throws SnapshotException CORRUPT if the content is missing
   */
  public InputStream open(Digest d) {
    Location loc = location(d).orElseThrow(() -> missing(d));
    if (loc.list()) {
      return new ChunkedStream(this, d, list(d));
    }
    return new ByteArrayInputStream(object(d));
  }

  /**
   * Writes a content's bytes into a new file, verified as {@link #open} verifies them: a chunked
   * content's chunks are read, decompressed and written in parallel on the executor, each at its
   * offset with a positional write (see {@link ChunkedStream#writeTo}).
   *
   * @param expectedLength the length the snapshot records for it
   * @return the bytes written
   * @throws SnapshotException CORRUPT if the content is missing, damaged or not of {@code expectedLength}
   */
  public long writeTo(Digest d, long expectedLength, java.nio.channels.FileChannel out) throws IOException {
    Location loc = location(d).orElseThrow(() -> missing(d));
    if (loc.list()) {
      ChunkList list = list(d);
      if (list.totalLength() != expectedLength) {
        throw corrupt(d, null);
      }
      return ChunkedStream.writeTo(this, d, list, out);
    }
    byte[] raw = object(d);
    if (raw.length != expectedLength) {
      throw corrupt(d, null);
    }
    ChunkedStream.writeFully(out, raw, 0);
    return raw.length;
  }

  /**
   * The SHA-256 of a content's bytes (what archives record): the digest itself for a content
   * stored whole; computed by reading, and so verifying, a chunked one.
   */
  public Digest sha256(Digest d) {
    if (!isList(d)) {
      return d;
    }
    java.security.MessageDigest md = Digest.sha256();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = open(d)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    } catch (IOException e) {
      throw SnapshotException.wrap("reading stored content " + d, e);
    }
    return Digest.of(md.digest());
  }

  /** The chunk list a digest names. */
  ChunkList list(Digest d) {
    byte[] data = object(d);
    try {
      return ChunkList.decode(data);
    } catch (IOException e) {
      throw corrupt(d, e);
    }
  }

  /** Whether {@code d} names a chunk list (false if unknown). */
  boolean isList(Digest d) {
    return location(d).map(Location::list).orElse(false);
  }

  /**
   * The stored object's own bytes (a chunk list's encoding, not its chunks), verified against
   * its digest.
   */
  byte[] object(Digest d) {
    for (int attempt = 0; ; attempt++) {
      Location loc = location(d).orElseThrow(() -> missing(d));
      try {
        return read(d, loc);
      } catch (NoSuchFileException e) {
        if (attempt >= 2) {
          throw missing(d);
        }
        // moved by a concurrent repack (here, or by another agent on a shared store): look the content up again
        if (shared) {
          refreshAfterMiss(missing(d));
        }
      } catch (IOException e) {
        throw SnapshotException.wrap("reading stored content " + d, e);
      }
    }
  }

  private byte[] read(Digest d, Location loc) throws IOException {
    byte[] compressed;
    try {
      compressed = objects.getRange(loc.pack(), loc.offset(), loc.length());
    } catch (java.io.EOFException e) {
      throw corrupt(d, e);
    }
    byte[] raw;
    try {
      raw = codec.decompress(compressed, loc.rawSize());
    } catch (ZstdException | ArithmeticException e) {
      throw corrupt(d, e);
    }
    Digest actual = loc.list() ? ChunkList.digestOf(raw, raw.length) : Digest.hash(raw, 0, raw.length);
    if (raw.length != loc.rawSize() || !actual.equals(d)) {
      throw corrupt(d, null);
    }
    return raw;
  }

  public static SnapshotException corrupt(Digest d, Throwable cause) {
    return new SnapshotException(ErrorCode.CORRUPT,
        "stored content " + d + " fails its digest check (torn or damaged); run the repository check to find "
            + "the affected snapshots and restore another one",
        cause);
  }

  static SnapshotException missing(Digest d) {
    return new SnapshotException(ErrorCode.CORRUPT,
        "stored content " + d + " is missing from the repository; run the repository check to find the "
            + "affected snapshots and restore another one");
  }

  /** See {@link #trustReferences}. */
  boolean trustReferences() {
    return trustReferences;
  }

  ContentSession session() {
    long id = sessions.incrementAndGet();
    synchronized (lock) {
      pins.put(id, new HashSet<>());
    }
    return new ContentSession(this, id);
  }

  /**
   * Adds a live digest to {@code marked}, with its chunks if it names a chunk list. With
   * {@code only} (not null), adds only digests in it, but still looks inside every list, since
   * a list outside {@code only} may hold chunks in it. This is the one way gc marks what a
   * snapshot refers to.
   */
  void mark(Digest d, Set<Digest> marked, Set<Digest> only) {
    if (only == null && !marked.add(d)) {
      return; // marked before, through this method: its chunks are marked too (a list is read once per gc)
    }
    if (only != null && only.contains(d)) {
      marked.add(d);
    }
    if (isList(d)) {
      try {
        for (Digest c : list(d).chunks()) {
          if (only == null || only.contains(c)) {
            marked.add(c);
          }
        }
      } catch (SnapshotException e) {
        // a damaged or vanished list: its chunks are unreachable through it; check reports it
        LOG.warn("chunk list {} is unreadable; its chunks are kept only if something else refers to them", d, e);
      }
    }
  }

  /** @see ContentSweep#sweep(long, Set, Consumer, Set) */
  long[] sweep(long gcStart, Set<Digest> marked, Consumer<Set<Digest>> remark) throws IOException {
    ContentSweep s = new ContentSweep(this);
    long[] swept = s.sweep(gcStart, marked, remark, null);
    long merged = s.mergeSmallPacks();
    s.mergeIndexes();
    return new long[] {swept[0] + merged, swept[1]};
  }

  /** @see ContentSweep#sweep(long, Set, Consumer, Set) */
  long[] sweep(long gcStart, Set<Digest> marked, Consumer<Set<Digest>> remark, Set<Digest> only) throws IOException {
    return new ContentSweep(this).sweep(gcStart, marked, remark, only);
  }

  /** Total bytes of pack and index files. */
  long diskBytes() throws IOException {
    long total = 0;
    for (String prefix : List.of(PACKS, INDEX)) {
      for (String name : objects.list(prefix)) {
        total += sizeOrZero(name);
      }
    }
    return total;
  }

  /** An object's size, or 0 if it is gone (removed by a concurrent gc). */
  long sizeOrZero(String name) {
    try {
      return objects.size(name);
    } catch (IOException e) {
      return 0;
    }
  }
}

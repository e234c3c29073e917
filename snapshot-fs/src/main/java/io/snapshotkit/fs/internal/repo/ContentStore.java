package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.fs.internal.files.AtomicFiles;
import io.snapshotkit.fs.internal.files.Buffers;
import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Content-addressed storage: small contents packed into append-once pack files with an index,
 * large contents as their own zstd files, all keyed by SHA-256.
 *
 * <p><b>Concurrency.</b> The in-memory index (digest → location) is guarded by one monitor.
 * A capture works in a {@link Session}: before it relies on content already stored it
 * {@link Session#reuse pins} the digest (which fails if the content is gone), and content it
 * stores is pinned as it is published. The garbage collector removes unreferenced content from
 * the index under the same monitor, after adding every pinned digest to its mark set and only
 * for content published before the collection started, so a concurrent capture never loses what
 * it refers to. Thread-safe.
 */
public final class ContentStore {
  private static final Logger LOG = LoggerFactory.getLogger(ContentStore.class);
  /** Contents smaller than this are packed. */
  public static final int SMALL = 8 << 20;
  private static final long PACK_TARGET = 64L << 20;
  /** Packs smaller than this count as small for {@link #mergeSmallPacks}. */
  private static final long SMALL_PACK = 8L << 20;
  /** How many small packs make a merge worth it. */
  static final int MERGE_MIN = 8;
  private static final int IDX_MAGIC = 0x534B4931;
  private static final int IDX_RECORD = Digest.BYTES + 8 + 4 + 8;

  /** Where one content lives. */
  record Location(Path file, long offset, int length, long rawSize, boolean packed, long generation) {}

  private final Path packs;
  private final Path blobs;
  private final Path tmp;
  private final int level;
  private final int small;
  private final Object lock = new Object();
  private final Map<Digest, Location> index = new HashMap<>();
  private final Map<Long, Set<Digest>> pins = new HashMap<>();
  private final AtomicLong generation = new AtomicLong(1);
  private final AtomicLong sessions = new AtomicLong();
  // zstd contexts are costly to create (several times the cost of compressing a small file), so
  // each is reused; one thread uses a context at a time, and the pools hold at most one per thread
  private final ConcurrentLinkedQueue<ZstdCompressCtx> compressors = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<ZstdDecompressCtx> decompressors = new ConcurrentLinkedQueue<>();

  ContentStore(Path root, int level, int small) throws IOException {
    this.small = small;
    this.packs = root.resolve("packs");
    this.blobs = root.resolve("blobs");
    this.tmp = root.resolve("tmp");
    this.level = level;
    Files.createDirectories(packs);
    Files.createDirectories(blobs);
    Files.createDirectories(tmp);
    load();
  }

  private void load() throws IOException {
    AtomicFiles.deleteTree(tmp);
    Files.createDirectories(tmp);
    try (DirectoryStream<Path> files = Files.newDirectoryStream(packs)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.endsWith(".pack") && !Files.exists(packs.resolve(idxName(f)))) {
          LOG.warn("removing pack {} left without an index by an interrupted capture", name);
          Files.deleteIfExists(f);
        } else if (name.endsWith(".idx")) {
          readIndex(f);
        } else if (name.startsWith(".tmp-")) {
          Files.deleteIfExists(f);
        }
      }
    }
    try (DirectoryStream<Path> shards = Files.newDirectoryStream(blobs)) {
      for (Path shard : shards) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
          for (Path f : files) {
            String name = f.getFileName().toString();
            if (name.endsWith(".zst") && name.length() > 68) {
              Location previous = index.putIfAbsent(Digest.parse(name.substring(0, 64)),
                  new Location(f, 0, -1, -1, false, 0));
              if (previous != null) {
                // two captures stored the same content at once; nothing refers to a file by name
                Files.deleteIfExists(f);
              }
            } else if (name.endsWith(".zst")) {
              Files.deleteIfExists(f);
            }
          }
        }
      }
    }
  }

  private static String idxName(Path pack) {
    String n = pack.getFileName().toString();
    return n.substring(0, n.length() - ".pack".length()) + ".idx";
  }

  private void readIndex(Path idx) throws IOException {
    Path pack = idx.resolveSibling(idx.getFileName().toString().replace(".idx", ".pack"));
    byte[] data = Files.readAllBytes(idx);
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
      if (data.length < 8 || in.readInt() != IDX_MAGIC) {
        throw new IOException("bad magic");
      }
      int count = in.readInt();
      if (data.length != 8 + (long) count * IDX_RECORD) {
        throw new IOException("bad length");
      }
      byte[] d = new byte[Digest.BYTES];
      for (int i = 0; i < count; i++) {
        in.readFully(d);
        long offset = in.readLong();
        int length = in.readInt();
        long raw = in.readLong();
        index.putIfAbsent(Digest.of(d), new Location(pack, offset, length, raw, true, 0));
      }
    } catch (IOException e) {
      LOG.error("pack index {} is unreadable; its contents count as missing until the repository check "
          + "is run and the affected snapshots are deleted", idx.getFileName(), e);
    }
  }

  /** The largest compressed size of {@code length} bytes. */
  static int compressBound(int length) {
    return Math.toIntExact(Zstd.compressBound(length));
  }

  /** Compresses into {@code out} (at least {@link #compressBound} long); returns the compressed length. */
  private int compress(byte[] data, int length, byte[] out) {
    ZstdCompressCtx ctx = compressors.poll();
    if (ctx == null) {
      ctx = new ZstdCompressCtx();
      ctx.setLevel(level);
    }
    try {
      return ctx.compressByteArray(out, 0, out.length, data, 0, length);
    } finally {
      compressors.offer(ctx);
    }
  }

  private byte[] decompress(byte[] compressed, int rawSize) {
    ZstdDecompressCtx ctx = decompressors.poll();
    if (ctx == null) {
      ctx = new ZstdDecompressCtx();
    }
    try {
      return ctx.decompress(compressed, rawSize);
    } finally {
      decompressors.offer(ctx);
    }
  }

  /** Frees the pooled zstd contexts. */
  void close() {
    ZstdCompressCtx c;
    while ((c = compressors.poll()) != null) {
      c.close();
    }
    ZstdDecompressCtx d;
    while ((d = decompressors.poll()) != null) {
      d.close();
    }
  }

  /** Whether the content is stored. */
  public boolean contains(Digest d) {
    synchronized (lock) {
      return index.containsKey(d);
    }
  }

  Optional<Location> location(Digest d) {
    synchronized (lock) {
      return Optional.ofNullable(index.get(d));
    }
  }

  /** A copy of the index, for checks. */
  Map<Digest, Location> snapshotIndex() {
    synchronized (lock) {
      return new HashMap<>(index);
    }
  }

  long generation() {
    return generation.get();
  }

  /**
   * Opens a content's bytes, verifying its digest as they are read: a mismatch or a damaged
   * frame throws {@link SnapshotException} CORRUPT from {@code read}.
   *
   * @throws SnapshotException CORRUPT if the content is missing
   */
  public InputStream open(Digest d) {
    for (int attempt = 0; ; attempt++) {
      Location loc = location(d).orElseThrow(() -> missing(d));
      try {
        return open(d, loc);
      } catch (NoSuchFileException e) {
        if (attempt >= 2) {
          throw missing(d);
        }
        // moved by a concurrent repack: look the content up again
      } catch (IOException e) {
        throw SnapshotException.wrap("reading stored content " + d, e);
      }
    }
  }

  private InputStream open(Digest d, Location loc) throws IOException {
    if (loc.packed()) {
      byte[] compressed = new byte[loc.length()];
      try (FileChannel ch = FileChannel.open(loc.file(), StandardOpenOption.READ)) {
        ByteBuffer buf = ByteBuffer.wrap(compressed);
        while (buf.hasRemaining()) {
          if (ch.read(buf, loc.offset() + buf.position()) < 0) {
            throw corrupt(d, null);
          }
        }
      }
      byte[] raw;
      try {
        raw = decompress(compressed, Math.toIntExact(loc.rawSize()));
      } catch (ZstdException | ArithmeticException e) {
        throw corrupt(d, e);
      }
      if (raw.length != loc.rawSize() || !Digest.hash(raw, 0, raw.length).equals(d)) {
        throw corrupt(d, null);
      }
      return new ByteArrayInputStream(raw);
    }
    return new VerifyingStream(new ZstdInputStream(Files.newInputStream(loc.file())), d);
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

  /** Verifies a digest at end of stream; damaged zstd frames are CORRUPT too. */
  private static final class VerifyingStream extends FilterInputStream {
    private final MessageDigest md = Digest.sha256();
    private final Digest expected;
    private boolean verified;

    VerifyingStream(InputStream in, Digest expected) {
      super(in);
      this.expected = expected;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n;
      try {
        n = super.read(b, off, len);
      } catch (IOException e) {
        if (e instanceof NoSuchFileException) {
          throw e;
        }
        throw corrupt(expected, e);
      }
      if (n > 0) {
        md.update(b, off, n);
      } else if (n < 0 && !verified) {
        verified = true;
        if (!Digest.of(md.digest()).equals(expected)) {
          throw corrupt(expected, null);
        }
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      throw new IOException("stored content is read in full so that it can be verified");
    }
  }

  Session session() {
    long id = sessions.incrementAndGet();
    synchronized (lock) {
      pins.put(id, new HashSet<>());
    }
    return new Session(id);
  }

  /**
   * One writer's view: pins what it relies on, buffers small contents into its own pack and
   * publishes them on {@link #flush}. Thread-safe, so a capture may store files in parallel.
   */
  public final class Session implements AutoCloseable {
    private final long id;
    private final Map<Digest, Boolean> pending = new HashMap<>();
    private final List<Object[]> packEntries = new ArrayList<>();
    private final Set<Path> dirty = new HashSet<>();
    private Path packFile;
    private OutputStream packOut;
    private long packSize;
    private final AtomicLong storedBytes = new AtomicLong();
    private final Buffers buffers = new Buffers();
    /** Contents this session added to the index (not those it found there). */
    private final Set<Digest> published = new HashSet<>();
    private boolean closed;

    private Session(long id) {
      this.id = id;
    }

    /** Contents smaller than this are stored with {@link #storeSmall}, larger ones with {@link #storeStream}. */
    public int smallLimit() {
      return small;
    }

    /** Compressed bytes this session added to the repository. */
    long storedBytes() {
      return storedBytes.get();
    }

    /** Pins content already stored; false if it is not (then store it again). */
    public boolean reuse(Digest d) {
      synchronized (this) {
        if (pending.containsKey(d)) {
          return true;
        }
      }
      synchronized (lock) {
        if (index.containsKey(d)) {
          pins.get(id).add(d);
          return true;
        }
        return false;
      }
    }

    /** Stores a small content given in full. */
    public Digest storeSmall(byte[] data, int length) throws IOException {
      Digest d = Digest.hash(data, 0, length);
      if (reuse(d)) {
        return d;
      }
      byte[] compressed = buffers.take(compressBound(length));
      try {
        int n = compress(data, length, compressed);
        synchronized (this) {
          if (pending.containsKey(d)) {
            return d;
          }
          if (packOut == null) {
            packFile = packs.resolve(".tmp-" + UUID.randomUUID() + ".pack");
            packOut = new BufferedOutputStream(Files.newOutputStream(packFile, StandardOpenOption.CREATE_NEW), 1 << 16);
            packSize = 0;
          }
          packOut.write(compressed, 0, n);
          packEntries.add(new Object[] {d, packSize, n, (long) length});
          packSize += n;
          pending.put(d, Boolean.TRUE);
          storedBytes.addAndGet(n);
          if (packSize >= PACK_TARGET) {
            commitPack();
          }
        }
      } finally {
        buffers.give(compressed);
      }
      return d;
    }

    /** Stores a content read from a stream, compressing while hashing; any size. */
    public Digest storeStream(InputStream in) throws IOException {
      Path t = tmp.resolve(UUID.randomUUID() + ".zst");
      MessageDigest md = Digest.sha256();
      try {
        try (OutputStream out = new ZstdOutputStream(
            new BufferedOutputStream(Files.newOutputStream(t, StandardOpenOption.CREATE_NEW), 1 << 16), level)) {
          byte[] buf = new byte[1 << 16];
          int n;
          while ((n = in.read(buf)) > 0) {
            md.update(buf, 0, n);
            out.write(buf, 0, n);
          }
        }
        Digest d = Digest.of(md.digest());
        if (reuse(d)) {
          return d;
        }
        AtomicFiles.fsync(t);
        String hex = d.hex();
        Path shard = blobs.resolve(hex.substring(0, 2));
        Files.createDirectories(shard);
        Path target = shard.resolve(hex + "." + UUID.randomUUID().toString().substring(0, 8) + ".zst");
        long size = Files.size(t);
        Files.move(t, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        synchronized (this) {
          dirty.add(shard);
        }
        Location previous;
        synchronized (lock) {
          previous = index.putIfAbsent(d, new Location(target, 0, (int) Math.min(size, Integer.MAX_VALUE), -1,
              false, generation.incrementAndGet()));
          pins.get(id).add(d);
        }
        if (previous != null) {
          // another capture stored the same content meanwhile; the index (and GC) only know its copy
          Files.deleteIfExists(target);
        } else {
          storedBytes.addAndGet(size);
          synchronized (this) {
            published.add(d);
          }
        }
        return d;
      } finally {
        Files.deleteIfExists(t);
      }
    }

    private void commitPack() throws IOException {
      if (packOut == null) {
        return;
      }
      packOut.close();
      packOut = null;
      AtomicFiles.fsync(packFile);
      String base = "p-" + UUID.randomUUID();
      Path finalPack = packs.resolve(base + ".pack");
      Files.move(packFile, finalPack, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      AtomicFiles.fsyncDirectory(packs);
      ByteBuffer idx = ByteBuffer.allocate(8 + packEntries.size() * IDX_RECORD);
      idx.putInt(IDX_MAGIC).putInt(packEntries.size());
      for (Object[] e : packEntries) {
        idx.put(((Digest) e[0]).bytes()).putLong((Long) e[1]).putInt((Integer) e[2]).putLong((Long) e[3]);
      }
      try {
        AtomicFiles.write(packs.resolve(base + ".idx"), idx.array());
      } catch (IOException | RuntimeException e) {
        // without its index the pack is unreadable (and removed at the next open): free its space now
        try {
          Files.deleteIfExists(finalPack);
        } catch (IOException d) {
          e.addSuppressed(d);
        }
        throw e;
      }
      synchronized (lock) {
        long gen = generation.incrementAndGet();
        for (Object[] e : packEntries) {
          Digest d = (Digest) e[0];
          if (index.putIfAbsent(d, new Location(finalPack, (Long) e[1], (Integer) e[2], (Long) e[3], true, gen))
              == null) {
            published.add(d);
          }
          pins.get(id).add(d);
        }
      }
      packEntries.clear();
      pending.clear();
    }

    /** The contents this session added to the repository so far (a copy). */
    synchronized Set<Digest> published() {
      return new HashSet<>(published);
    }

    /** Publishes everything stored so far and makes it durable. */
    synchronized void flush() throws IOException {
      commitPack();
      for (Path dir : dirty) {
        AtomicFiles.fsyncDirectory(dir);
      }
      dirty.clear();
    }

    /** Unpins; unpublished contents are discarded. */
    @Override
    public synchronized void close() {
      if (closed) {
        return;
      }
      closed = true;
      if (packOut != null) {
        try {
          packOut.close();
        } catch (IOException e) {
          // a full disk fails the flush of what is still buffered; the file is closed regardless
          LOG.debug("closing the abandoned pack {} failed", packFile, e);
        }
        try {
          Files.deleteIfExists(packFile);
        } catch (IOException e) {
          LOG.warn("could not remove an abandoned pack {}", packFile, e);
        }
        packOut = null;
      }
      synchronized (lock) {
        pins.remove(id);
      }
    }
  }

  /**
   * The sweep phase of a collection: under the index monitor, adds every pinned digest to
   * {@code marked}, lets {@code remark} add the digests of manifests committed since marking
   * began, and removes every unmarked content published no later than {@code gcStart} (the
   * generation when the collection began; content published after it has a higher generation).
   * Then deletes or compacts the files that held it.
   *
   * @return the bytes and contents reclaimed
   */
  long[] sweep(long gcStart, Set<Digest> marked, Consumer<Set<Digest>> remark) throws IOException {
    long[] swept = sweep(gcStart, marked, remark, null);
    return new long[] {swept[0] + mergeSmallPacks(), swept[1]};
  }

  /**
   * As {@link #sweep(long, Set, Consumer)}, removing only contents in {@code only} (all when
   * null), and without merging small packs (which needs free space).
   */
  long[] sweep(long gcStart, Set<Digest> marked, Consumer<Set<Digest>> remark, Set<Digest> only)
      throws IOException {
    Map<Digest, Location> removed = new HashMap<>();
    synchronized (lock) {
      for (Set<Digest> p : pins.values()) {
        marked.addAll(p);
      }
      remark.accept(marked);
      index.entrySet().removeIf(e -> {
        if ((only == null || only.contains(e.getKey()))
            && e.getValue().generation() <= gcStart && !marked.contains(e.getKey())) {
          removed.put(e.getKey(), e.getValue());
          return true;
        }
        return false;
      });
    }
    long bytes = 0;
    Set<Path> touchedPacks = new HashSet<>();
    for (Location loc : removed.values()) {
      if (loc.packed()) {
        touchedPacks.add(loc.file());
      } else {
        long size = sizeOrZero(loc.file());
        if (Files.deleteIfExists(loc.file())) {
          bytes += size;
        }
      }
    }
    for (Path pack : touchedPacks) {
      bytes += compact(pack);
    }
    return new long[] {bytes, removed.size()};
  }

  private static long sizeOrZero(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return 0;
    }
  }

  /** Rewrites a pack after some of its contents were swept: deleted if empty, else copied if mostly dead. */
  private long compact(Path pack) throws IOException {
    Map<Digest, Location> live = new HashMap<>();
    synchronized (lock) {
      index.forEach((d, loc) -> {
        if (loc.packed() && loc.file().equals(pack)) {
          live.put(d, loc);
        }
      });
    }
    Path idx = pack.resolveSibling(idxName(pack));
    long packSize = sizeOrZero(pack);
    if (live.isEmpty()) {
      Files.deleteIfExists(idx);
      Files.deleteIfExists(pack);
      return packSize;
    }
    long liveBytes = live.values().stream().mapToLong(Location::length).sum();
    if (liveBytes * 2 > packSize) {
      ByteBuffer buf = ByteBuffer.allocate(8 + live.size() * IDX_RECORD);
      buf.putInt(IDX_MAGIC).putInt(live.size());
      live.forEach((d, loc) -> buf.put(d.bytes()).putLong(loc.offset()).putInt(loc.length()).putLong(loc.rawSize()));
      AtomicFiles.write(idx, buf.array());
      return 0;
    }
    return rewrite(Map.of(pack, live));
  }

  /**
   * Copies the live contents of {@code sources} (pack → its live contents) into one new pack,
   * repoints the index, then deletes the old packs. A crash at any point leaves every content
   * readable: until the old index files are deleted both packs list it, and a pack whose index
   * is gone is removed at the next open. Readers holding an old location retry on
   * {@link NoSuchFileException}.
   *
   * @return the bytes freed
   */
  private long rewrite(Map<Path, Map<Digest, Location>> sources) throws IOException {
    String base = "p-" + UUID.randomUUID();
    Path newPack = packs.resolve(base + ".pack");
    Path t = packs.resolve(".tmp-" + base + ".pack");
    Map<Digest, Location> moved = new HashMap<>();
    Map<Digest, Path> from = new HashMap<>();
    long oldBytes = 0;
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
        Files.newOutputStream(t, StandardOpenOption.CREATE_NEW), 1 << 16))) {
      long offset = 0;
      for (Map.Entry<Path, Map<Digest, Location>> source : sources.entrySet()) {
        oldBytes += sizeOrZero(source.getKey());
        try (FileChannel in = FileChannel.open(source.getKey(), StandardOpenOption.READ)) {
          for (Map.Entry<Digest, Location> e : source.getValue().entrySet()) {
            Location loc = e.getValue();
            ByteBuffer b = ByteBuffer.allocate(loc.length());
            while (b.hasRemaining() && in.read(b, loc.offset() + b.position()) > 0) {
              // keep reading
            }
            out.write(b.array());
            moved.put(e.getKey(), new Location(newPack, offset, loc.length(), loc.rawSize(), true, loc.generation()));
            from.put(e.getKey(), source.getKey());
            offset += loc.length();
          }
        }
      }
    }
    AtomicFiles.fsync(t);
    Files.move(t, newPack, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    ByteBuffer buf = ByteBuffer.allocate(8 + moved.size() * IDX_RECORD);
    buf.putInt(IDX_MAGIC).putInt(moved.size());
    moved.forEach((d, loc) -> buf.put(d.bytes()).putLong(loc.offset()).putInt(loc.length()).putLong(loc.rawSize()));
    AtomicFiles.write(packs.resolve(base + ".idx"), buf.array());
    synchronized (lock) {
      moved.forEach((d, loc) -> index.computeIfPresent(d, (k, old) -> old.file().equals(from.get(d)) ? loc : old));
    }
    for (Path old : sources.keySet()) {
      Files.deleteIfExists(old.resolveSibling(idxName(old)));
      Files.deleteIfExists(old);
    }
    AtomicFiles.fsyncDirectory(packs);
    return oldBytes - sizeOrZero(newPack);
  }

  /**
   * Merges small packs (each capture seals at least one, so frequent small captures leave many)
   * into packs of up to {@link #PACK_TARGET}, once there are {@link #MERGE_MIN} or more of them.
   *
   * @return the bytes freed
   */
  long mergeSmallPacks() throws IOException {
    Map<Path, Map<Digest, Location>> byPack = new HashMap<>();
    synchronized (lock) {
      index.forEach((d, loc) -> {
        if (loc.packed()) {
          byPack.computeIfAbsent(loc.file(), k -> new HashMap<>()).put(d, loc);
        }
      });
    }
    List<Path> smallPacks = byPack.keySet().stream().filter(p -> sizeOrZero(p) < SMALL_PACK).sorted().toList();
    if (smallPacks.size() < MERGE_MIN) {
      return 0;
    }
    long freed = 0;
    Map<Path, Map<Digest, Location>> batch = new java.util.LinkedHashMap<>();
    long batchBytes = 0;
    for (Path p : smallPacks) {
      batch.put(p, byPack.get(p));
      batchBytes += sizeOrZero(p);
      if (batchBytes >= PACK_TARGET) {
        freed += rewrite(batch);
        batch = new java.util.LinkedHashMap<>();
        batchBytes = 0;
      }
    }
    if (batch.size() > 1) {
      freed += rewrite(batch);
    }
    return freed;
  }

  /** Total bytes of pack and blob files. */
  long diskBytes() throws IOException {
    long[] total = {0};
    // directory streams do not stat entries, so files a concurrent GC removes are simply skipped
    try (DirectoryStream<Path> files = Files.newDirectoryStream(packs)) {
      files.forEach(p -> total[0] += sizeOrZero(p));
    }
    try (DirectoryStream<Path> shards = Files.newDirectoryStream(blobs)) {
      for (Path shard : shards) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
          files.forEach(p -> total[0] += sizeOrZero(p));
        } catch (NoSuchFileException e) {
          // an empty shard removed meanwhile
        }
      }
    }
    return total[0];
  }
}

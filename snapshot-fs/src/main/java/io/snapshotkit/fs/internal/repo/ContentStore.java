package io.snapshotkit.fs.internal.repo;

import com.github.luben.zstd.ZstdException;
import com.github.luben.zstd.ZstdInputStream;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.internal.files.AtomicFiles;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
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
  static final long PACK_TARGET = 64L << 20;
  /** Packs smaller than this count as small for {@link #mergeSmallPacks}. */
  private static final long SMALL_PACK = 8L << 20;
  /** How many small packs make a merge worth it. */
  static final int MERGE_MIN = 8;
  static final int IDX_MAGIC = 0x534B4931;
  static final int IDX_RECORD = Digest.BYTES + 8 + 4 + 8;

  /** Where one content lives. */
  record Location(Path file, long offset, int length, long rawSize, boolean packed, long generation) {}

  final Path packs;
  final Path blobs;
  final Path tmp;
  final int level;
  final int small;
  final Object lock = new Object();
  final Map<Digest, Location> index = new HashMap<>();
  final Map<Long, Set<Digest>> pins = new HashMap<>();
  final AtomicLong generation = new AtomicLong(1);
  private final AtomicLong sessions = new AtomicLong();
  final ZstdCodec codec;

  ContentStore(Path root, int level, int small) throws IOException {
    this.small = small;
    this.packs = root.resolve("packs");
    this.blobs = root.resolve("blobs");
    this.tmp = root.resolve("tmp");
    this.level = level;
    this.codec = new ZstdCodec(level);
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

  /** Frees the pooled zstd contexts. */
  void close() {
    codec.close();
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
        raw = codec.decompress(compressed, Math.toIntExact(loc.rawSize()));
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

  ContentSession session() {
    long id = sessions.incrementAndGet();
    synchronized (lock) {
      pins.put(id, new HashSet<>());
    }
    return new ContentSession(this, id);
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

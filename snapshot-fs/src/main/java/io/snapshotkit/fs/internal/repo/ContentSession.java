package io.snapshotkit.fs.internal.repo;

import com.github.luben.zstd.ZstdOutputStream;
import io.snapshotkit.fs.internal.files.AtomicFiles;
import io.snapshotkit.fs.internal.files.Buffers;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer's view: pins what it relies on, buffers small contents into its own pack and
 * publishes them on {@link #flush}. Thread-safe, so a capture may store files in parallel.
 */
public final class ContentSession implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ContentSession.class);

  private final ContentStore store;
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

  ContentSession(ContentStore store, long id) {
    this.store = store;
    this.id = id;
  }

  /** Contents smaller than this are stored with {@link #storeSmall}, larger ones with {@link #storeStream}. */
  public int smallLimit() {
    return store.small;
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
    synchronized (store.lock) {
      if (store.index.containsKey(d)) {
        store.pins.get(id).add(d);
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
    byte[] compressed = buffers.take(ZstdCodec.compressBound(length));
    try {
      int n = store.codec.compress(data, length, compressed);
      synchronized (this) {
        if (pending.containsKey(d)) {
          return d;
        }
        if (packOut == null) {
          packFile = store.packs.resolve(".tmp-" + UUID.randomUUID() + ".pack");
          packOut = new BufferedOutputStream(Files.newOutputStream(packFile, StandardOpenOption.CREATE_NEW), 1 << 16);
          packSize = 0;
        }
        packOut.write(compressed, 0, n);
        packEntries.add(new Object[] {d, packSize, n, (long) length});
        packSize += n;
        pending.put(d, Boolean.TRUE);
        storedBytes.addAndGet(n);
        if (packSize >= ContentStore.PACK_TARGET) {
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
    Path t = store.tmp.resolve(UUID.randomUUID() + ".zst");
    MessageDigest md = Digest.sha256();
    try {
      try (OutputStream out = new ZstdOutputStream(
          new BufferedOutputStream(Files.newOutputStream(t, StandardOpenOption.CREATE_NEW), 1 << 16), store.level)) {
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
      Path shard = store.blobs.resolve(hex.substring(0, 2));
      Files.createDirectories(shard);
      Path target = shard.resolve(hex + "." + UUID.randomUUID().toString().substring(0, 8) + ".zst");
      long size = Files.size(t);
      Files.move(t, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      synchronized (this) {
        dirty.add(shard);
      }
      ContentStore.Location previous;
      synchronized (store.lock) {
        previous = store.index.putIfAbsent(d, new ContentStore.Location(target, 0, (int) Math.min(size, Integer.MAX_VALUE), -1,
            false, store.generation.incrementAndGet()));
        store.pins.get(id).add(d);
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
    Path finalPack = store.packs.resolve(base + ".pack");
    Files.move(packFile, finalPack, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    AtomicFiles.fsyncDirectory(store.packs);
    ByteBuffer idx = ByteBuffer.allocate(8 + packEntries.size() * ContentStore.IDX_RECORD);
    idx.putInt(ContentStore.IDX_MAGIC).putInt(packEntries.size());
    for (Object[] e : packEntries) {
      idx.put(((Digest) e[0]).bytes()).putLong((Long) e[1]).putInt((Integer) e[2]).putLong((Long) e[3]);
    }
    try {
      AtomicFiles.write(store.packs.resolve(base + ".idx"), idx.array());
    } catch (IOException | RuntimeException e) {
      // without its index the pack is unreadable (and removed at the next open): free its space now
      try {
        Files.deleteIfExists(finalPack);
      } catch (IOException d) {
        e.addSuppressed(d);
      }
      throw e;
    }
    synchronized (store.lock) {
      long gen = store.generation.incrementAndGet();
      for (Object[] e : packEntries) {
        Digest d = (Digest) e[0];
        if (store.index.putIfAbsent(d, new ContentStore.Location(finalPack, (Long) e[1], (Integer) e[2], (Long) e[3], true, gen))
            == null) {
          published.add(d);
        }
        store.pins.get(id).add(d);
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
    synchronized (store.lock) {
      store.pins.remove(id);
    }
  }
}

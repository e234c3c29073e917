package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.fs.internal.chunk.FastCdc;
import io.snapshotkit.fs.internal.files.Buffers;
import io.snapshotkit.fs.internal.files.OrderedWork;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer's view: pins what it relies on, appends new contents (whole small contents, the
 * chunks of large ones, chunk lists) to its own pack and publishes them on {@link #flush}.
 * Thread-safe, so a capture may store files in parallel.
 */
public final class ContentSession implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ContentSession.class);
  /** Chunks of one large file being hashed and compressed at once: at most 16 x 512 KiB in flight. */
  static final int CHUNK_WINDOW = 16;

  private final ContentStore store;
  private final long id;
  private final Map<Digest, Boolean> pending = new HashMap<>();
  private final List<PackFormat.Record> packEntries = new ArrayList<>();
  private String packName;
  private ObjectStore.Upload pack;
  private final AtomicLong storedBytes = new AtomicLong();
  private final Buffers buffers = new Buffers();
  /** Contents this session added to the index (not those it found there). */
  private final Set<Digest> published = new HashSet<>();
  /** Packs detached and being sealed by some thread ({@link #seal}). */
  private int sealing;
  /** The first failure to seal a pack; {@link #flush} reports it. */
  private Throwable sealFailure;
  private boolean closed;
  /** The index's {@link ContentIndex#hides()} when this session began; see {@link #reuseReferenced}. */
  private final long hidesAtStart;

  ContentSession(ContentStore store, long id) {
    this.store = store;
    this.id = id;
    this.hidesAtStart = store.index.hides();
  }

  /** Contents smaller than this are stored whole, larger ones are chunked. */
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
    if (!store.index.mightContain(d)) {
      return false; // new content, known without reading an index (a filter's false positive goes on)
    }
    synchronized (store.lock) {
      // again under the lock, which a gc sweep holds while it removes content
      if (store.index.contains(d)) {
        store.pins.get(id).add(d);
        return true;
      }
      return false;
    }
  }

  /**
   * {@link #reuse} for a digest that a snapshot refers to whose root was read after this session
   * began: a capture's unchanged file, taken from its parent snapshot. Such content was stored
   * when the root was read (gc keeps everything an existing root refers to), and only a change
   * that hides records from the index can have removed it since: a gc's sweep, a pack deleted, an
   * index file removed ({@link ContentIndex#hides()}). While none has happened since this session
   * began, the digest is pinned without an index lookup, which an incremental capture would
   * otherwise make for every unchanged file (a quarter of its scanning thread's time on the
   * bench corpus of 20,000 files). After any, or on a store found damaged at open
   * ({@link ContentStore#trustReferences()}), the index is asked as {@link #reuse} asks it, so
   * content a concurrent gc removed is stored again. On a shared store other hosts' gc cannot
   * run while this host's capture holds its lease, and the reload that follows taking it counts
   * the packs it finds gone.
   *
   * @return false if the content is not stored (then store it again)
   */
  public boolean reuseReferenced(Digest d) {
    if (store.trustReferences()) {
      synchronized (store.lock) {
        // under the lock a sweep hides content in: it either ran before (and counted) or marks this pin
        if (store.index.hides() == hidesAtStart) {
          store.pins.get(id).add(d);
          return true;
        }
      }
    }
    return reuse(d);
  }

  /**
   * Stores a content given in full: whole if under {@link #smallLimit()}, else chunked (so the
   * same bytes get the same digest whichever call stores them).
   */
  public Digest storeSmall(byte[] data, int length) throws IOException {
    if (length >= store.small) {
      return storeStream(new ByteArrayInputStream(data, 0, length), null);
    }
    return storeObject(data, length, PackFormat.RAW, Digest.hash(data, 0, length));
  }

  /** Stores a content read from a stream, on the calling thread; any size. */
  public Digest storeStream(InputStream in) throws IOException {
    return storeStream(in, null);
  }

  /**
   * Stores a content read from a stream; any size. A content under {@link #smallLimit()} is
   * stored whole; a larger one is read and cut into chunks on the calling thread while the chunks
   * are hashed, compressed and stored on {@code executor} (at most {@link #CHUNK_WINDOW} at
   * once, handed off through {@link OrderedWork}, so a stalled or shared executor cannot
   * deadlock it), and its chunk list is stored last.
   *
   * @param executor where chunks are stored, or null for the calling thread
   * @return the content's digest: the SHA-256 of its bytes, or its chunk list's digest
   */
  public Digest storeStream(InputStream in, Executor executor) throws IOException {
    return cut(in, store.small, executor, this::storeObject);
  }

  /**
   * The digest {@link #storeStream} gives a content, computed without storing anything (the
   * scans of describe and of a diff against the live volumes).
   *
   * @param small the repository's chunking threshold ({@link #smallLimit()})
   */
  public static Digest digestOf(InputStream in, int small, Executor executor) throws IOException {
    return cut(in, small, executor, (data, length, kind, d) -> d);
  }

  /** Where {@link #cut} puts each object: returns its digest. */
  @FunctionalInterface
  private interface ObjectSink {
    Digest put(byte[] data, int length, byte kind, Digest d) throws IOException;
  }

  /** The one definition of a content's objects and digest: whole under {@code small}, else chunks and a list. */
  private static Digest cut(InputStream in, int small, Executor executor, ObjectSink sink) throws IOException {
    FastCdc chunker = new FastCdc(in);
    List<byte[]> head = new ArrayList<>();
    long headBytes = 0;
    byte[] chunk;
    while (headBytes < small && (chunk = chunker.next()) != null) {
      head.add(chunk);
      headBytes += chunk.length;
    }
    if (headBytes < small) {
      ByteArrayOutputStream whole = new ByteArrayOutputStream((int) headBytes);
      for (byte[] c : head) {
        whole.write(c);
      }
      byte[] all = whole.toByteArray();
      return sink.put(all, all.length, PackFormat.RAW, Digest.hash(all, 0, all.length));
    }
    List<Digest> digests = new ArrayList<>();
    List<Integer> lengths = new ArrayList<>();
    long[] total = {0};
    try (OrderedWork<Object[]> work = new OrderedWork<>(executor, CHUNK_WINDOW, r -> {
      digests.add((Digest) r[0]);
      lengths.add((Integer) r[1]);
      total[0] += (Integer) r[1];
    })) {
      for (byte[] c : head) {
        work.submit(() -> new Object[] {sink.put(c, c.length, PackFormat.RAW, Digest.hash(c, 0, c.length)), c.length});
      }
      head.clear();
      while ((chunk = chunker.next()) != null) {
        byte[] c = chunk;
        work.submit(() -> new Object[] {sink.put(c, c.length, PackFormat.RAW, Digest.hash(c, 0, c.length)), c.length});
      }
      work.finish();
    }
    int[] lens = lengths.stream().mapToInt(Integer::intValue).toArray();
    byte[] list = new ChunkList(total[0], digests, lens).encode();
    return sink.put(list, list.length, PackFormat.LIST, ChunkList.digestOf(list, list.length));
  }

  private Digest storeObject(byte[] data, int length, byte kind, Digest d) throws IOException {
    if (reuse(d)) {
      return d;
    }
    byte[] compressed = buffers.take(ZstdCodec.compressBound(length));
    Sealing full = null;
    try {
      int n = store.codec.compress(data, length, compressed);
      synchronized (this) {
        if (pending.containsKey(d)) {
          return d;
        }
        if (closed) {
          throw new IOException("the capture's content session is closed");
        }
        if (pack == null) {
          packName = ContentStore.PACKS + "p-" + UUID.randomUUID() + ".pack";
          pack = store.objects.uploadUnique(packName);
          pack.out().write(PackFormat.packHeader());
        }
        long offset = pack.written();
        pack.out().write(compressed, 0, n);
        packEntries.add(new PackFormat.Record(d, 0, offset, n, length, kind));
        pending.put(d, Boolean.TRUE);
        storedBytes.addAndGet(n);
        if (pack.written() >= store.objects.packTarget()) {
          full = detach();
        }
      }
    } finally {
      buffers.give(compressed);
    }
    if (full != null) {
      // outside this session's monitor: the other threads go on filling a new pack meanwhile
      seal(full);
    }
    return d;
  }

  /** A pack taken off the session to be sealed: its upload and records. */
  private record Sealing(ObjectStore.Upload pack, String name, List<PackFormat.Record> entries) {}

  /**
   * Takes the current pack off the session (caller holds this monitor); its contents stay
   * {@link #pending} (found by {@link #reuse}) until {@link #seal} has published its index.
   */
  private Sealing detach() {
    Sealing s = new Sealing(pack, packName, new ArrayList<>(packEntries));
    pack = null;
    packEntries.clear();
    sealing++;
    return s;
  }

  /**
   * Seals a detached pack without holding this session's monitor (its fsync takes tens of
   * milliseconds, which stalled every other thread storing content): data first, then its
   * index; the contents become visible with the index. A failure is rethrown here and again by
   * {@link #flush}, so the capture cannot commit without them.
   */
  private void seal(Sealing s) throws IOException {
    try {
      commitPack(s);
    } catch (IOException | RuntimeException e) {
      synchronized (this) {
        if (sealFailure == null) {
          sealFailure = e;
        }
      }
      throw e;
    } finally {
      synchronized (this) {
        for (PackFormat.Record r : s.entries()) {
          pending.remove(r.digest());
        }
        sealing--;
        notifyAll();
      }
    }
  }

  private void commitPack(Sealing s) throws IOException {
    String name = s.name();
    try (ObjectStore.Upload sealed = s.pack()) {
      sealed.publish();
    }
    String idx = ContentStore.INDEX + "i-" + name.substring(ContentStore.PACKS.length(), name.length() - 5) + ".idx";
    try {
      PackFormat.writeIndex(store.objects, idx, List.of(name), s.entries());
    } catch (IOException | RuntimeException e) {
      // without its index the pack is unreadable (and removed at the next open): free its space now
      try {
        store.objects.delete(name);
      } catch (IOException d) {
        e.addSuppressed(d);
      }
      throw e;
    }
    synchronized (store.lock) {
      Set<Digest> pinned = store.pins.get(id); // null once the session is closed: nothing to pin
      synchronized (published) {
        for (PackFormat.Record r : s.entries()) {
          if (store.index.find(r.digest()) == null) {
            published.add(r.digest());
          }
          if (pinned != null) {
            pinned.add(r.digest());
          }
        }
      }
      store.index.open(idx, store.generation.incrementAndGet(), null);
    }
  }

  /** The contents this session added to the repository so far (a copy). */
  Set<Digest> published() {
    synchronized (published) {
      return new HashSet<>(published);
    }
  }

  /**
   * Publishes everything stored so far and makes it durable: seals the current pack and waits
   * for the packs other threads are sealing.
   *
   * @throws IOException if sealing any pack of this session failed
   */
  void flush() throws IOException {
    Sealing last;
    synchronized (this) {
      last = pack == null ? null : detach();
    }
    if (last != null) {
      seal(last);
    }
    synchronized (this) {
      boolean interrupted = false;
      while (sealing > 0) {
        try {
          wait();
        } catch (InterruptedException e) {
          interrupted = true; // sealing finishes in bounded time (one fsync): wait for it anyway
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      if (sealFailure != null) {
        throw new IOException("sealing a pack of this capture failed", sealFailure);
      }
    }
  }

  /** Unpins; unpublished contents are discarded. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (pack != null) {
      try {
        pack.close();
      } catch (IOException e) {
        LOG.warn("could not remove an abandoned pack {}", packName, e);
      }
      pack = null;
    }
    synchronized (store.lock) {
      store.pins.remove(id);
    }
  }
}

package io.snapshotkit.fs.internal.repo;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.snapshotkit.fs.store.ObjectStore;
import io.snapshotkit.SnapshotException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Digest → location without every entry on the heap: the immutable index objects
 * ({@link IndexFile}, newest first), each held as its trailer (pack names, a fan-out table of
 * about 0.06 bytes per record and a {@link DigestBloom} of 1.25 bytes per record, which lets a
 * lookup skip every index file but the one holding the digest, and almost all of them on a
 * miss), plus a Caffeine cache of index buckets bounded to {@link #CACHE_BYTES}. On disk an
 * entry costs {@value PackFormat#RECORD} bytes plus its 1.25 filter bytes, so 10,000,000 chunks
 * (about 1.2 TiB of content at 128 KiB) take 503 MB of index files and about 13 MB of heap
 * besides the cache ({@code IndexMemoryIT}).
 *
 * <p>gc removes entries by tombstoning them (a digest hidden in index files up to a generation)
 * until it merges the index files into one without them ({@link #merge}), and by deleting packs
 * (a deleted pack's records are never found). Every such change is counted ({@link #hides()}), so
 * a capture can tell that nothing was hidden since it began ({@link ContentSession#reuseReferenced}).
 *
 * <p><b>Thread-safety:</b> lookups are lock-free (the file list is copy-on-write); changes are
 * made under the content store's lock.
 */
final class ContentIndex {
  private static final Logger LOG = LoggerFactory.getLogger(ContentIndex.class);
  /** The page cache's bound, bytes of index buckets. */
  static final long CACHE_BYTES = 16L << 20;

  private final ObjectStore objects;
  /** Built on first lookup: a command that only lists snapshots opens the index but never reads it. */
  private volatile Cache<IndexFile.Page, byte[]> pages;
  private final Object pagesLock = new Object();
  private final AtomicInteger ids = new AtomicInteger();
  private volatile List<IndexFile> files = List.of();
  /** Digest → the newest generation of index file whose record of it is hidden. */
  private final Map<Digest, Long> tombstones = new ConcurrentHashMap<>();
  /** Changes that may have hidden records: tombstones, packs gone, index files removed. */
  private final AtomicLong hides = new AtomicLong();

  ContentIndex(ObjectStore objects) {
    this.objects = objects;
  }

  /** Opens an index object and adds it as the newest. */
  IndexFile open(String name, long generation, Set<String> existingPacks) throws IOException {
    IndexFile f = IndexFile.open(objects, name, ids.incrementAndGet(), generation, existingPacks);
    add(f);
    return f;
  }

  synchronized void add(IndexFile f) {
    List<IndexFile> next = new ArrayList<>(files.size() + 1);
    next.add(f);
    next.addAll(files);
    files = List.copyOf(next);
  }

  List<IndexFile> files() {
    return files;
  }

  private boolean hidden(IndexFile f, Digest d) {
    Long upTo = tombstones.get(d);
    return upTo != null && f.generation <= upTo;
  }

  /**
   * False if no index file can hold {@code d}, by their filters alone (no read, no lock);
   * true if one may (then {@link #find} says).
   */
  boolean mightContain(Digest d) {
    for (IndexFile f : files) {
      if (f.mightContain(d)) {
        return true;
      }
    }
    return false;
  }

  /** Where {@code d} is stored, or null. */
  ContentStore.Location find(Digest d) {
    return lookUp(d, (f, digest) -> f.find(digest, objects, pages()));
  }

  /** Whether {@code d} is stored: {@link #find} without making its location. */
  boolean contains(Digest d) {
    return lookUp(d, (f, digest) -> f.contains(digest, objects, pages()) ? Boolean.TRUE : null) != null;
  }

  /** The first non-null answer of {@code lookup} over the index files that may hold {@code d}. */
  private <T> T lookUp(Digest d, java.util.function.BiFunction<IndexFile, Digest, T> lookup) {
    for (int attempt = 0; ; attempt++) {
      List<IndexFile> current = files;
      try {
        for (IndexFile f : current) {
          if (f.mightContain(d) && !hidden(f, d)) {
            T found = lookup.apply(f, d);
            if (found != null) {
              return found;
            }
          }
        }
        return null;
      } catch (UncheckedIOException e) {
        // a gc merged and deleted an index file after this lookup took the list: the merged file,
        // swapped in before the delete, has its records
        if (!(e.getCause() instanceof NoSuchFileException) || attempt >= 3 || current == files) {
          throw SnapshotException.wrap("reading the content index", e.getCause());
        }
      }
    }
  }

  /** Hides the records of {@code digests} in index files up to {@code generation}. */
  void tombstone(Collection<Digest> digests, long generation) {
    if (!digests.isEmpty()) {
      hides.incrementAndGet();
    }
    for (Digest d : digests) {
      tombstones.merge(d, generation, Math::max);
    }
  }

  /**
   * Shows the records of {@code digests} again (a gc that hid them could not rewrite their pack,
   * which keeps them whole): lookups find them and a later gc sees them unreferenced again.
   */
  void untombstone(Collection<Digest> digests) {
    tombstones.keySet().removeAll(digests);
  }

  boolean hasTombstones() {
    return !tombstones.isEmpty();
  }

  /**
   * How many changes may have hidden records so far (tombstones, deleted packs, removed index
   * files): if it is the same at two moments, every record visible at the first still is. Each
   * change counts before it takes effect.
   */
  long hides() {
    return hides.get();
  }

  /** Records that a pack was deleted. */
  void packGone(String pack) {
    hides.incrementAndGet();
    for (IndexFile f : files) {
      f.packGone(pack);
    }
  }

  /**
   * Streams every visible record of the index files up to {@code maxGeneration} (a content
   * listed by several files may come more than once).
   */
  void forEach(long maxGeneration, IndexFile.RecordSink sink) throws IOException {
    for (IndexFile f : files) {
      if (f.generation <= maxGeneration) {
        try {
          f.forEach(objects, (r, loc) -> {
            if (!hidden(f, r.digest())) {
              sink.accept(r, loc);
            }
          });
        } catch (NoSuchFileException e) {
          // merged into a newer file by a gc meanwhile (only a check runs beside a gc)
          LOG.debug("index {} was merged away while it was read", f.name);
        }
      }
    }
  }

  /** Index files with no pack left are deleted; their records could not be found anyway. */
  void dropEmpty() throws IOException {
    for (IndexFile f : files) {
      if (!f.anyPackLive()) {
        remove(List.of(f));
        objects.delete(f.name);
      }
    }
  }

  /** Whether every pack every index file names still exists. */
  boolean allPacksLive() {
    for (IndexFile f : files) {
      if (!f.allPacksLive()) {
        return false;
      }
    }
    return true;
  }

  /** Records that {@code pack}, which {@code f} names, was deleted (found so on reloading a shared store). */
  void packGone(IndexFile f, String pack) {
    hides.incrementAndGet();
    f.packGone(pack);
  }

  synchronized void remove(List<IndexFile> gone) {
    if (!gone.isEmpty()) {
      hides.incrementAndGet();
    }
    List<IndexFile> next = new ArrayList<>(files);
    next.removeAll(gone);
    files = List.copyOf(next);
  }

  /**
   * Merges the given index files into one new index object holding each visible content once,
   * publishes it, swaps it in for them, clears the tombstones they needed, and deletes them. A
   * crash before the deletes leaves duplicates, which lookups and the next merge tolerate.
   *
   * @param generation the merged file's generation
   */
  void merge(List<IndexFile> sources, long generation) throws IOException {
    if (sources.isEmpty()) {
      return;
    }
    Map<String, Integer> packs = new LinkedHashMap<>();
    long expected = 0;
    PriorityQueue<IndexFile.Cursor> heads = new PriorityQueue<>((a, b) -> a.current.digest().compareTo(b.current.digest()));
    for (IndexFile f : sources) {
      expected += f.count;
      IndexFile.Cursor c = f.cursor(objects);
      if (c.advance()) {
        heads.add(c);
      }
    }
    String name = ContentStore.INDEX + "i-" + UUID.randomUUID() + ".idx";
    // pack names go in the trailer, so collect the records' packs as they stream: map each
    // source pack to its ordinal in the merged file on first use
    try (ObjectStore.Upload up = objects.uploadUnique(name)) {
      List<String> names = new ArrayList<>();
      for (IndexFile f : sources) {
        for (String p : f.packs) {
          if (f.packStillLive(p) && !packs.containsKey(p)) {
            packs.put(p, names.size());
            names.add(p);
          }
        }
      }
      PackFormat.IndexWriter w = new PackFormat.IndexWriter(up, names, expected);
      Digest last = null;
      long written = 0;
      while (!heads.isEmpty()) {
        IndexFile.Cursor c = heads.poll();
        PackFormat.Record r = c.current;
        if (!r.digest().equals(last) && !hidden(c.file(), r.digest())) {
          w.add(new PackFormat.Record(r.digest(), packs.get(c.file().packs.get(r.pack())), r.offset(), r.length(),
              r.rawSize(), r.kind()));
          last = r.digest();
          written++;
        }
        if (c.advance()) {
          heads.add(c);
        }
      }
      w.finish();
      up.publish();
      LOG.debug("merged {} index files into {} ({} records)", sources.size(), name, written);
    }
    IndexFile merged = IndexFile.open(objects, name, ids.incrementAndGet(), generation, null);
    for (String p : merged.packs) {
      boolean live = false;
      for (IndexFile f : sources) {
        live |= f.packStillLive(p);
      }
      if (!live) {
        merged.packGone(p);
      }
    }
    synchronized (this) {
      List<IndexFile> next = new ArrayList<>(files);
      next.removeAll(sources);
      next.add(0, merged);
      files = List.copyOf(next);
    }
    long newest = sources.stream().mapToLong(f -> f.generation).max().orElse(0);
    // a tombstone up to a merged file's generation has done its work: the merge left the record out
    tombstones.values().removeIf(upTo -> upTo <= newest && files.stream().noneMatch(f -> f.generation <= upTo));
    for (IndexFile f : sources) {
      objects.delete(f.name);
    }
    Cache<IndexFile.Page, byte[]> cache = pages;
    if (cache != null) {
      cache.invalidateAll();
    }
  }

  private Cache<IndexFile.Page, byte[]> pages() {
    Cache<IndexFile.Page, byte[]> cache = pages;
    if (cache == null) {
      synchronized (pagesLock) {
        cache = pages;
        if (cache == null) {
          cache = Caffeine.newBuilder().maximumWeight(CACHE_BYTES)
              .weigher((IndexFile.Page k, byte[] v) -> v.length + 64).build();
          pages = cache;
        }
      }
    }
    return cache;
  }
}

package io.snapshotkit.fs.internal.repo;

import com.github.benmanes.caffeine.cache.Cache;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Set;

/**
 * One index object as a reader holds it: its trailer only (pack names, which of those packs
 * still exist, the fan-out table: about 4 bytes per 64 records, and the digests' Bloom filter:
 * 1.25 bytes per record). A lookup the filter lets through reads the one bucket the digest falls
 * in, through the store's page cache, and binary-searches it in place. Records of a pack
 * that no longer exists (deleted by gc; the index is not rewritten for that) are not found.
 *
 * <p><b>Thread-safety:</b> thread-safe; {@link #packGone} is published under the content index's lock.
 */
final class IndexFile {
  /**
   * One bucket's records, cached by index file and bucket. Its own equals and hashCode: a record's
   * generated ones go through an invokedynamic bootstrap's method handles, which a cold process
   * runs in the interpreter and C1 for every page lookup (one per file a capture takes from its
   * parent).
   */
  record Page(int file, int bucket) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Page p && p.file == file && p.bucket == bucket;
    }

    @Override
    public int hashCode() {
      return file * 0x9E3779B1 + bucket;
    }
  }

  final String name;
  final int id;
  final long generation;
  final List<String> packs;
  final long count;
  private final int bits;
  private final int[] fanout;
  private final boolean[] packLive;
  private final DigestBloom bloom;

  private IndexFile(String name, int id, long generation, PackFormat.Trailer t, Set<String> existingPacks) {
    this.name = name;
    this.id = id;
    this.generation = generation;
    this.packs = t.packs();
    this.count = t.count();
    this.bits = t.bits();
    this.fanout = t.fanout();
    this.bloom = t.bloom();
    this.packLive = new boolean[packs.size()];
    for (int i = 0; i < packs.size(); i++) {
      packLive[i] = existingPacks == null || existingPacks.contains(packs.get(i));
    }
  }

  /**
   * Opens an index by reading its trailer.
   *
   * @param existingPacks the packs that exist, or null if all it names do
   */
  static IndexFile open(ObjectStore objects, String name, int id, long generation, Set<String> existingPacks)
      throws IOException {
    return new IndexFile(name, id, generation, PackFormat.trailer(objects, name), existingPacks);
  }

  /** Whether any pack it names still exists. */
  synchronized boolean anyPackLive() {
    for (boolean b : packLive) {
      if (b) {
        return true;
      }
    }
    return false;
  }

  /** Whether every pack it names still exists. */
  synchronized boolean allPacksLive() {
    for (boolean b : packLive) {
      if (!b) {
        return false;
      }
    }
    return true;
  }

  /** Records that {@code pack} was deleted: its records are no longer found. */
  synchronized void packGone(String pack) {
    for (int i = 0; i < packs.size(); i++) {
      if (packs.get(i).equals(pack)) {
        packLive[i] = false;
      }
    }
  }

  /** Whether this index names {@code pack} and it still exists. */
  synchronized boolean packStillLive(String pack) {
    for (int i = 0; i < packs.size(); i++) {
      if (packs.get(i).equals(pack) && packLive[i]) {
        return true;
      }
    }
    return false;
  }

  private synchronized boolean live(int pack) {
    return pack >= 0 && pack < packLive.length && packLive[pack];
  }

  /** False if this index has no record of {@code d} (without reading any); true if it may. */
  boolean mightContain(Digest d) {
    return bloom.mightContain(d);
  }

  /** The location of {@code d} in this index, or null. */
  ContentStore.Location find(Digest d, ObjectStore objects, Cache<Page, byte[]> pages) {
    byte[] page = page(d, objects, pages);
    int at = page == null ? -1 : search(d, page);
    if (at < 0) {
      return null;
    }
    PackFormat.Record r = PackFormat.record(page, at);
    return live(r.pack()) ? location(r) : null;
  }

  /**
   * Whether this index has a record of {@code d} in a pack that still exists: {@link #find}
   * without decoding the record (a capture asks this for every file it takes from its parent).
   */
  boolean contains(Digest d, ObjectStore objects, Cache<Page, byte[]> pages) {
    byte[] page = page(d, objects, pages);
    int at = page == null ? -1 : search(d, page);
    return at >= 0 && live(PackFormat.packAt(page, at));
  }

  /** The bucket {@code d} falls in, read through the page cache; null if the bucket is empty. */
  private byte[] page(Digest d, ObjectStore objects, Cache<Page, byte[]> pages) {
    int b = PackFormat.bucket(d, bits);
    int from = b == 0 ? 0 : fanout[b - 1];
    int to = fanout[b];
    if (from == to) {
      return null;
    }
    Page key = new Page(id, b);
    byte[] page = pages.getIfPresent(key);
    return page != null ? page : pages.get(key, k -> read(objects, from, to));
  }

  /** The offset of {@code d}'s record in {@code page}, or -1. */
  private static int search(Digest d, byte[] page) {
    int lo = 0;
    int hi = page.length / PackFormat.RECORD - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = -d.compareToBytesAt(page, mid * PackFormat.RECORD);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return mid * PackFormat.RECORD;
      }
    }
    return -1;
  }

  ContentStore.Location location(PackFormat.Record r) {
    return new ContentStore.Location(packs.get(r.pack()), r.offset(), r.length(), r.rawSize(), r.kind(), generation);
  }

  private byte[] read(ObjectStore objects, int from, int to) {
    try {
      return objects.getRange(name, (long) from * PackFormat.RECORD, (to - from) * PackFormat.RECORD);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Receives records in digest order. */
  @FunctionalInterface
  interface RecordSink {
    void accept(PackFormat.Record r, ContentStore.Location loc) throws IOException;
  }

  /** Streams every record of a live pack, in digest order, a few thousand records per read. */
  void forEach(ObjectStore objects, RecordSink sink) throws IOException {
    int step = 1 << 14;
    for (long at = 0; at < count; at += step) {
      int n = (int) Math.min(step, count - at);
      byte[] block = objects.getRange(name, at * PackFormat.RECORD, n * PackFormat.RECORD);
      for (int i = 0; i < n; i++) {
        PackFormat.Record r = PackFormat.record(block, i * PackFormat.RECORD);
        if (live(r.pack())) {
          sink.accept(r, location(r));
        }
      }
    }
  }

  /** A cursor over the live records, for merging indexes. */
  Cursor cursor(ObjectStore objects) {
    return new Cursor(objects);
  }

  /** Reads the records one block at a time. */
  final class Cursor {
    private final ObjectStore objects;
    private byte[] block;
    private long blockStart;
    private int blockCount;
    private long next;
    PackFormat.Record current;

    private Cursor(ObjectStore objects) {
      this.objects = objects;
    }

    /** Moves to the next live record; false at the end. */
    boolean advance() throws IOException {
      while (next < count) {
        if (block == null || next >= blockStart + blockCount) {
          blockStart = next;
          blockCount = (int) Math.min(1 << 14, count - next);
          block = objects.getRange(name, next * PackFormat.RECORD, blockCount * PackFormat.RECORD);
        }
        PackFormat.Record r = PackFormat.record(block, (int) (next - blockStart) * PackFormat.RECORD);
        next++;
        if (live(r.pack())) {
          current = r;
          return true;
        }
      }
      current = null;
      return false;
    }

    IndexFile file() {
      return IndexFile.this;
    }
  }
}

package io.snapshotkit.fs.internal.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.fs.internal.store.LocalObjectStore;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The index files' digest filter: no false negatives, a bounded false-positive rate, and lookups that skip files. */
class DigestBloomTest {
  @TempDir
  Path dir;

  private static Digest random(SplittableRandom r) {
    return Digest.of(ByteBuffer.allocate(32).putLong(r.nextLong()).putLong(r.nextLong()).putLong(r.nextLong())
        .putLong(r.nextLong()).array());
  }

  @Test
  @DisplayName("every added digest is reported present; others are falsely reported present less than 1.2% of the time")
  void noFalseNegativesAndFalsePositivesBounded() {
    SplittableRandom r = new SplittableRandom(42);
    int n = 50_000;
    DigestBloom bloom = DigestBloom.sized(n);
    List<Digest> added = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Digest d = random(r);
      bloom.add(d);
      added.add(d);
    }
    for (Digest d : added) {
      assertTrue(bloom.mightContain(d), "added digest " + d);
    }
    int trials = 200_000;
    int falsePositives = 0;
    for (int i = 0; i < trials; i++) {
      if (bloom.mightContain(random(r))) {
        falsePositives++;
      }
    }
    // 10 bits and 7 probes per entry: (1 - e^(-0.7))^7 = 0.82% in theory
    double rate = falsePositives / (double) trials;
    assertTrue(rate < 0.012, "false-positive rate " + rate);
    assertTrue(rate > 0.004, "a filter this size cannot do much better than theory: " + rate);
  }

  @Test
  @DisplayName("an index file's trailer carries its filter, read back word for word")
  void trailerRoundTripsTheFilter() throws IOException {
    ObjectStore objects = new LocalObjectStore(dir);
    SplittableRandom r = new SplittableRandom(7);
    List<PackFormat.Record> records = new ArrayList<>();
    DigestBloom expected = DigestBloom.sized(1000);
    for (int i = 0; i < 1000; i++) {
      Digest d = random(r);
      records.add(new PackFormat.Record(d, 0, i * 10L, 10, 20, PackFormat.RAW));
      expected.add(d);
    }
    PackFormat.writeIndex(objects, "index/i-a.idx", List.of("packs/p-a.pack"), records);
    PackFormat.Trailer t = PackFormat.trailer(objects, "index/i-a.idx");
    assertEquals(1000, t.count());
    assertArrayEquals(expected.words(), t.bloom().words());
  }

  @Test
  @DisplayName("with twelve unmerged index files, a lookup reads the buckets of the one file holding the digest, and a miss almost none")
  void lookupsSkipIndexFilesTheFilterRulesOut() throws IOException {
    AtomicInteger indexReads = new AtomicInteger();
    ObjectStore objects = new CountingStore(new LocalObjectStore(dir), indexReads);
    SplittableRandom r = new SplittableRandom(11);
    int files = 12;
    int perFile = 6_400; // 64 buckets of 100 records each
    List<Digest> present = new ArrayList<>();
    ContentIndex index = new ContentIndex(objects);
    for (int f = 0; f < files; f++) {
      List<PackFormat.Record> records = new ArrayList<>();
      for (int i = 0; i < perFile; i++) {
        Digest d = random(r);
        records.add(new PackFormat.Record(d, 0, i, 1, 1, PackFormat.RAW));
        if (i % 64 == 0) {
          present.add(d);
        }
      }
      String name = "index/i-" + f + ".idx";
      PackFormat.writeIndex(objects, name, List.of("packs/p-" + f + ".pack"), records);
      index.open(name, f + 1, null);
    }
    indexReads.set(0);
    int misses = 2_000;
    for (int i = 0; i < misses; i++) {
      Digest absent = random(r);
      assertNull(index.find(absent));
      assertFalse(index.contains(absent));
    }
    // without the filters every miss reads a bucket of every file: up to 12 x 64 distinct pages
    assertTrue(indexReads.get() < 0.02 * misses * files, "bucket reads for " + misses + " misses: " + indexReads.get());
    indexReads.set(0);
    for (Digest d : present) {
      assertNotNull(index.find(d), "present digest " + d);
      assertTrue(index.contains(d), "present digest " + d);
    }
    // a hit reads its own file's bucket (each once here) and, rarely, a false positive's
    assertTrue(indexReads.get() < present.size() * 1.2, "bucket reads for " + present.size() + " hits: "
        + indexReads.get());
    // a record whose pack gc deleted is neither found nor contained; the other files' still are
    index.packGone("packs/p-0.pack");
    int perFilePresent = present.size() / files;
    for (int i = 0; i < present.size(); i++) {
      Digest d = present.get(i);
      boolean gone = i < perFilePresent;
      assertEquals(gone, index.find(d) == null, "digest " + i);
      assertEquals(!gone, index.contains(d), "digest " + i);
    }
  }

  /** A real store that counts ranged reads of index files (the bucket reads of lookups). */
  private static final class CountingStore extends ForwardingObjectStore {
    private final AtomicInteger indexReads;

    CountingStore(ObjectStore delegate, AtomicInteger indexReads) {
      super(delegate);
      this.indexReads = indexReads;
    }

    @Override
    public byte[] getRange(String name, long offset, int length) throws IOException {
      byte[] b = super.getRange(name, offset, length);
      if (name.startsWith(ContentStore.INDEX) && length % PackFormat.RECORD == 0 && offset % PackFormat.RECORD == 0
          && offset + length <= size(name) - 8 - 4096) {
        indexReads.incrementAndGet();
      }
      return b;
    }
  }
}

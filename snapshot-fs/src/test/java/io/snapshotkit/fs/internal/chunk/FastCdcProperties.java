package io.snapshotkit.fs.internal.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** FastCDC's three promises on random data, with small sizes so that many cuts happen quickly. */
class FastCdcProperties {
  private static final int MIN = 256;
  private static final int AVG = 1024;
  private static final int MAX = 4096;

  private static List<byte[]> chunks(byte[] data) throws IOException {
    return FastCdcTest.chunks(new ByteArrayInputStream(data), MIN, AVG, MAX);
  }

  /** The stream offsets where chunks end. */
  private static List<Long> ends(List<byte[]> chunks) {
    List<Long> ends = new ArrayList<>();
    long at = 0;
    for (byte[] c : chunks) {
      at += c.length;
      ends.add(at);
    }
    return ends;
  }

  @Property(tries = 200)
  @Label("chunks are deterministic, rejoin to the input, and all lie within [min, max] except the last")
  void deterministicAndBounded(@ForAll @LongRange(min = 0) long seed, @ForAll @IntRange(min = 0, max = 60_000) int size)
      throws IOException {
    byte[] data = FastCdcTest.random(size, seed);
    List<byte[]> a = chunks(data);
    List<byte[]> b = chunks(data.clone());
    assertEquals(ends(a), ends(b));
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    for (int i = 0; i < a.size(); i++) {
      joined.write(a.get(i));
      int n = a.get(i).length;
      assertTrue(n <= MAX, "chunk " + i + " has " + n);
      assertTrue(n >= MIN || i == a.size() - 1, "chunk " + i + " has " + n);
      assertTrue(n > 0);
    }
    assertArrayEquals(data, joined.toByteArray());
  }

  @Property(tries = 200)
  @Label("after an insertion the cut points re-synchronise: every cut from some point on is an old cut shifted")
  void cutsResynchroniseAfterInsertion(@ForAll @LongRange(min = 0) long seed,
      @ForAll @IntRange(min = 0, max = 30_000) int at, @ForAll @IntRange(min = 1, max = 3000) int inserted)
      throws IOException {
    byte[] data = FastCdcTest.random(60_000, seed);
    byte[] extra = FastCdcTest.random(inserted, ~seed);
    byte[] edited = new byte[data.length + inserted];
    System.arraycopy(data, 0, edited, 0, at);
    System.arraycopy(extra, 0, edited, at, inserted);
    System.arraycopy(data, at, edited, at + inserted, data.length - at);

    List<Long> before = ends(chunks(data));
    List<Long> after = ends(chunks(edited));
    // cuts before the insertion point are unchanged
    for (long e : before) {
      if (e <= at) {
        assertTrue(after.contains(e), "cut at " + e + " before the insertion at " + at + " moved");
      }
    }
    // within a few chunks past the insertion, the new cuts are the old ones shifted, to the end
    long resync = -1;
    for (long e : after) {
      if (e > at + inserted && before.contains(e - inserted)) {
        resync = e;
        break;
      }
    }
    assertTrue(resync > 0, "the cuts never re-synchronised");
    assertTrue(resync - (at + inserted) <= 4L * MAX, "re-synchronised only " + (resync - at - inserted) + " bytes later");
    for (long e : after) {
      if (e >= resync) {
        assertTrue(before.contains(e - inserted), "cut " + e + " after re-synchronising is not an old cut");
      }
    }
  }
}

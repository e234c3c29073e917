package io.snapshotkit.fs.internal.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FastCdcTest {

  static List<byte[]> chunks(InputStream in, int min, int avg, int max) throws IOException {
    FastCdc c = new FastCdc(in, min, avg, max);
    List<byte[]> out = new ArrayList<>();
    byte[] b;
    while ((b = c.next()) != null) {
      out.add(b);
    }
    return out;
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  @Test
  @DisplayName("the gear table is the frozen format constant: SplitMix64 from the documented seed, pinned by digest")
  void gearTableIsFrozen() throws Exception {
    ByteBuffer buf = ByteBuffer.allocate(256 * 8);
    for (long g : FastCdc.GEAR) {
      buf.putLong(g);
    }
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(buf.array()));
    assertEquals(GEAR_SHA256, sha, "changing the gear table changes every chunked file's digest (format 2)");
    assertEquals(0x534B_6974_4344_4332L, FastCdc.GEAR_SEED);
    assertEquals(List.of(32 << 10, 128 << 10, 512 << 10), List.of(FastCdc.MIN, FastCdc.AVG, FastCdc.MAX));
  }

  static final String GEAR_SHA256 = "0b6eac21f9576eb5da8f0b1df71810deb464424e3eb19b00e31d7d458b279cd1";

  @Test
  @DisplayName("with the repository's sizes, 8 MiB of random data cuts into chunks within [min, max] averaging near avg")
  void repositorySizes() throws IOException {
    byte[] data = random(8 << 20, 1);
    List<byte[]> chunks = chunks(new ByteArrayInputStream(data), FastCdc.MIN, FastCdc.AVG, FastCdc.MAX);
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    for (int i = 0; i < chunks.size(); i++) {
      byte[] c = chunks.get(i);
      joined.write(c);
      if (i < chunks.size() - 1) {
        assertTrue(c.length >= FastCdc.MIN && c.length <= FastCdc.MAX, "chunk " + i + ": " + c.length);
      }
    }
    assertArrayEquals(data, joined.toByteArray());
    double mean = (double) data.length / chunks.size();
    assertTrue(mean > FastCdc.AVG * 0.8 && mean < FastCdc.AVG * 1.6, "mean chunk " + mean);
  }

  @Test
  @DisplayName("cut points do not depend on how the stream delivers its bytes (one byte at a time vs whole)")
  void boundariesIgnoreReadSizes() throws IOException {
    byte[] data = random(3 << 20, 2);
    InputStream trickle = new FilterInputStream(new ByteArrayInputStream(data)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(len, 7));
      }
    };
    List<byte[]> a = chunks(new ByteArrayInputStream(data), FastCdc.MIN, FastCdc.AVG, FastCdc.MAX);
    List<byte[]> b = chunks(trickle, FastCdc.MIN, FastCdc.AVG, FastCdc.MAX);
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.get(i), b.get(i));
    }
  }

  @Test
  @DisplayName("an empty stream has no chunk, a stream shorter than min is one chunk, constant data cuts at max")
  void edges() throws IOException {
    assertNull(new FastCdc(new ByteArrayInputStream(new byte[0])).next());
    List<byte[]> tiny = chunks(new ByteArrayInputStream(new byte[100]), 256, 1024, 4096);
    assertEquals(1, tiny.size());
    assertEquals(100, tiny.get(0).length);
    List<byte[]> zeros = chunks(new ByteArrayInputStream(new byte[10_000]), 256, 1024, 4096);
    assertEquals(List.of(4096, 4096, 1808), zeros.stream().map(c -> c.length).toList(),
        "a run of one byte value never matches a mask (the gear hash saturates), so it cuts at max");
  }
}

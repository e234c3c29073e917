package io.snapshotkit.bench.fs;

import io.snapshotkit.fs.internal.chunk.FastCdc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The measurement behind snapshot-fs's FastCDC sizes (format 2): for several min/avg/max
 * choices, how many chunks a GiB of random data makes (index size) and how many bytes of new
 * chunks two edits produce (dedup): 0.5% of the 4 KiB blocks of {@code MiB} MiB of random data
 * rewritten at random offsets, and 512 KiB appended to a 112 MiB file. In memory, chunking only
 * (no compression, no repository), seeded.
 *
 * <pre>java -Xmx4g -cp benchmarks.jar io.snapshotkit.bench.fs.ChunkSizes 1024</pre>
 */
public final class ChunkSizes {
  private ChunkSizes() {}

  public static void main(String[] args) throws IOException, NoSuchAlgorithmException {
    int size = (args.length > 0 ? Integer.parseInt(args[0]) : 1024) << 20;
    SplittableRandom r = new SplittableRandom(42);
    byte[] data = new byte[size];
    r.nextBytes(data);
    byte[] edited = data.clone();
    int blocks = size / 4096;
    int edits = blocks / 200;
    byte[] block = new byte[4096];
    for (int i = 0; i < edits; i++) {
      r.nextBytes(block);
      System.arraycopy(block, 0, edited, r.nextInt(blocks) * 4096, 4096);
    }
    byte[] big = new byte[112 << 20];
    r.nextBytes(big);
    byte[] appended = Arrays.copyOf(big, big.length + (512 << 10));
    byte[] tail = new byte[512 << 10];
    r.nextBytes(tail);
    System.arraycopy(tail, 0, appended, big.length, tail.length);
    int[][] sizes = {{16 << 10, 64 << 10, 256 << 10}, {32 << 10, 128 << 10, 512 << 10},
        {64 << 10, 256 << 10, 1 << 20}, {512 << 10, 1 << 20, 8 << 20}};
    System.out.println("| min/avg/max KiB | chunks per GiB | index bytes per GiB (49 B each) | scattered growth | append growth |");
    System.out.println("|---|---:|---:|---:|---:|");
    for (int[] p : sizes) {
      Map<String, Integer> first = chunks(data, p);
      long growth = growth(first, chunks(edited, p));
      long append = growth(chunks(big, p), chunks(appended, p));
      long perGiB = first.size() * (1L << 30) / size;
      System.out.printf("| %d/%d/%d | %d | %d | %.1f%% | %d KiB |%n", p[0] >> 10, p[1] >> 10, p[2] >> 10, perGiB,
          perGiB * 49, 100.0 * growth / size, append >> 10);
    }
  }

  private static Map<String, Integer> chunks(byte[] data, int[] p) throws IOException, NoSuchAlgorithmException {
    FastCdc c = new FastCdc(new ByteArrayInputStream(data), p[0], p[1], p[2]);
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    Map<String, Integer> out = new HashMap<>();
    byte[] chunk;
    while ((chunk = c.next()) != null) {
      out.put(java.util.HexFormat.of().formatHex(md.digest(chunk)), chunk.length);
    }
    return out;
  }

  private static long growth(Map<String, Integer> before, Map<String, Integer> after) {
    long g = 0;
    for (Map.Entry<String, Integer> e : after.entrySet()) {
      if (!before.containsKey(e.getKey())) {
        g += e.getValue();
      }
    }
    return g;
  }
}

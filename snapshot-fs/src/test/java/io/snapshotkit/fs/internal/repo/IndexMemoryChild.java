package io.snapshotkit.fs.internal.repo;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Child JVM of {@link IndexMemoryIT}: opens the synthetic repository in a small heap and looks up
 * every 100th of its records and as many absent digests; prints {@code OK} and the figures.
 */
public final class IndexMemoryChild {
  private IndexMemoryChild() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    long count = Long.parseLong(args[1]);
    long started = System.nanoTime();
    try (FsRepository repo = FsRepository.open(root, 1)) {
      long opened = System.nanoTime();
      SyntheticIndex digests = new SyntheticIndex(IndexMemoryIT.SEED, count);
      long found = 0;
      long lookups = 0;
      for (long i = 0; i < count; i++) {
        Digest d = digests.next();
        if (i % 100 != 0) {
          continue;
        }
        lookups++;
        Optional<ContentStore.Location> loc = repo.content().location(d);
        if (loc.isEmpty() || loc.get().offset() != (i & 0xFFFFFFFFL) || loc.get().length() != (int) (i % 1000 + 1)) {
          System.out.println("WRONG " + i + " " + loc);
          System.exit(2);
        }
        if (repo.content().location(SyntheticIndex.absent(d, count)).isPresent()) {
          System.out.println("FALSE HIT near " + i);
          System.exit(3);
        }
        found++;
      }
      long done = System.nanoTime();
      Runtime rt = Runtime.getRuntime();
      System.gc();
      long used = rt.totalMemory() - rt.freeMemory();
      System.out.printf("OK found=%d of %d lookups (+%d absent), open %.2f s, %.1f us per lookup pair, heap used after gc "
          + "%d MiB of max %d MiB%n", found, lookups, lookups, (opened - started) / 1e9,
          (done - opened) / 1e3 / lookups, used >> 20, rt.maxMemory() >> 20);
    }
  }
}

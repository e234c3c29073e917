package io.snapshotkit.fs.internal.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.fs.internal.store.LocalObjectStore;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The content index answers lookups without holding its entries: a repository whose index lists
 * 10,000,000 contents (490 MB of index file) is opened and queried by a child JVM with a
 * 256 MiB heap, which could not hold the entries as objects (about 100 bytes each on the heap,
 * 1 GB). Takes about half a minute (writing the index), so it is an IT.
 */
class IndexMemoryIT {
  static final long SEED = 14;
  private static final long COUNT = 10_000_000;
  @TempDir Path dir;

  @Test
  @DisplayName("10,000,000 index entries answer lookups (hits and misses) in a child JVM with -Xmx256m")
  void tenMillionEntriesInA256MiBHeap() throws IOException, InterruptedException {
    Path root = dir.resolve("repo");
    String pack;
    try (FsRepository repo = FsRepository.open(root, 1)) {
      try (ContentSession s = repo.content().session()) {
        s.storeSmall(new byte[] {1}, 1);
        s.flush();
      }
      pack = repo.content().index.files().get(0).packs.get(0);
    }
    ObjectStore objects = new LocalObjectStore(root);
    try (ObjectStore.Upload up = objects.upload("index/i-synthetic.idx")) {
      PackFormat.IndexWriter w = new PackFormat.IndexWriter(up, List.of(pack), COUNT);
      SyntheticIndex digests = new SyntheticIndex(SEED, COUNT);
      for (long i = 0; i < COUNT; i++) {
        w.add(new PackFormat.Record(digests.next(), 0, i, (int) (i % 1000 + 1), 1, PackFormat.RAW));
      }
      w.finish();
      assertTrue(up.publish());
    }
    long size = Files.size(root.resolve("index/i-synthetic.idx"));
    long records = COUNT * PackFormat.RECORD;
    long filter = COUNT * DigestBloom.BITS_PER_ENTRY / 8;
    assertTrue(size >= records + filter && size < records + filter + (2 << 20),
        "49 bytes per entry on disk, plus 1.25 of digest filter and the fan-out: " + size);
    Path log = dir.resolve("child.log");
    Process child = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), IndexMemoryChild.class.getName(),
        root.toString(), Long.toString(COUNT)))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(child.waitFor(10, TimeUnit.MINUTES), "the child finished");
    String out = Files.readString(log);
    assertEquals(0, child.exitValue(), out);
    assertTrue(out.contains("OK found=100000 of 100000"), out);
    System.out.println("IndexMemoryIT: " + out.strip());
  }
}

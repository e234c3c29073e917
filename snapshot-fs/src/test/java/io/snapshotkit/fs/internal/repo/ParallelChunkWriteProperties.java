package io.snapshotkit.fs.internal.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.internal.store.LocalObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Executor;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * A chunked content written into a file chunk by chunk in parallel, each chunk at its offset
 * ({@link ContentStore#writeTo}), gives the stored bytes whatever order the chunks run in.
 */
class ParallelChunkWriteProperties {

  /**
   * Runs its tasks on its own threads in a random order, one at a time or two at once, late:
   * whatever it has not started when the writer needs a result, the writer runs itself.
   */
  private static final class ShufflingExecutor implements Executor, AutoCloseable {
    private final List<Runnable> queued = new ArrayList<>();
    private final SplittableRandom random;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopped;

    ShufflingExecutor(long seed, int threadCount) {
      this.random = new SplittableRandom(seed);
      for (int i = 0; i < threadCount; i++) {
        Thread t = new Thread(this::loop, "shuffling-" + i);
        t.setDaemon(true);
        t.start();
        threads.add(t);
      }
    }

    @Override
    public synchronized void execute(Runnable task) {
      queued.add(task);
    }

    private void loop() {
      while (!stopped) {
        Runnable next = null;
        synchronized (this) {
          if (queued.size() > 1 || !queued.isEmpty() && random.nextInt(4) == 0) {
            next = queued.remove(random.nextInt(queued.size()));
          }
        }
        if (next != null) {
          next.run();
        } else {
          Thread.onSpinWait();
          Thread.yield();
        }
      }
    }

    @Override
    public void close() {
      stopped = true;
      for (Thread t : threads) {
        try {
          t.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  @Property(tries = 15, seed = "20261202")
  @Label("a chunked content written chunk by chunk in any order is byte for byte the content stored")
  void chunksWrittenInAnyOrderGiveTheStoredBytes(@ForAll long seed, @ForAll @IntRange(min = 1, max = 2) int threads)
      throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    Path dir = Files.createTempDirectory("chunk-write");
    try (ShufflingExecutor executor = new ShufflingExecutor(seed, threads)) {
      ContentStore store = new ContentStore(new LocalObjectStore(dir.resolve("repo")), 1, ContentStore.SMALL, executor);
      try {
        // above the chunking threshold: 3 to 40 chunks of 32-512 KiB, mixing random and repeated bytes
        byte[] content = new byte[ContentStore.SMALL + random.nextInt(4 << 20)];
        random.nextBytes(content);
        int runs = random.nextInt(4);
        for (int i = 0; i < runs; i++) {
          int from = random.nextInt(content.length);
          java.util.Arrays.fill(content, from, Math.min(content.length, from + random.nextInt(1 << 20)), (byte) i);
        }
        Digest d;
        try (ContentSession s = store.session()) {
          d = s.storeStream(new ByteArrayInputStream(content), executor);
          s.flush();
        }
        assertTrue(store.isList(d), "stored as chunks");
        Path file = dir.resolve("restored");
        long written;
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          written = store.writeTo(d, content.length, out);
        }
        assertEquals(content.length, written);
        assertArrayEquals(content, Files.readAllBytes(file));
        Files.delete(file);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          SnapshotException wrongLength = assertThrows(SnapshotException.class,
              () -> store.writeTo(d, content.length + 1L, out));
          assertEquals(ErrorCode.CORRUPT, wrongLength.code());
        }
      } finally {
        store.close();
      }
    } finally {
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }
}

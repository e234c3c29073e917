package io.snapshotkit.fs.internal.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link OrderedWork}: what an item keeps reachable once its result is known. */
class OrderedWorkTest {

  /**
   * A capture cuts a large file into thousands of chunks on one thread and hands each to the
   * executor; when the executor is busy with other files, the cutting thread runs the chunks
   * itself, but the executor's queue still holds every item until a worker reaches it. An item
   * that kept its work kept the chunk's bytes with it: a ~1 GiB capture held ~800 MiB of them.
   */
  @Test
  void anItemRunInLineNoLongerHoldsItsWorkWhileTheExecutorStillQueuesIt() throws Exception {
    List<Runnable> queue = new ArrayList<>(); // an executor that does not get to its tasks yet
    Executor busy = queue::add;
    AtomicInteger runs = new AtomicInteger();
    List<Integer> results = new ArrayList<>();
    WeakReference<byte[]> captured;
    try (OrderedWork<Integer> work = new OrderedWork<>(busy, 2, results::add)) {
      captured = submitHolding(work, 1 << 20, runs);
      work.submit(() -> 7);
      work.finish();
    }
    assertEquals(List.of(1 << 20, 7), results);
    assertEquals(2, queue.size(), "the executor still queues both items");
    for (int i = 0; i < 50 && captured.get() != null; i++) {
      System.gc();
      Thread.sleep(20);
    }
    assertTrue(captured.get() == null, "the bytes the first item's work captured are still reachable from the queue");
    queue.forEach(Runnable::run); // the executor reaches them at last: nothing runs twice
    assertEquals(1, runs.get());
  }

  /**
   * Known results (a capture's unchanged files) and work run on an executor (its changed ones) come
   * out in the order given; the first failure in that order is thrown, and nothing after it is
   * delivered.
   */
  @Test
  void knownResultsAndWorkComeOutInOrderUpToTheFirstFailure() throws Exception {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
    try {
      List<Integer> results = new ArrayList<>();
      try (OrderedWork<Integer> work = new OrderedWork<>(pool, 4, results::add)) {
        for (int i = 0; i < 100; i++) {
          int v = i;
          if (i % 3 == 0) {
            work.submit(() -> {
              try {
                Thread.sleep(v % 7);
              } catch (InterruptedException e) {
                throw new IOException(e);
              }
              return v;
            });
          } else {
            work.done(v);
          }
        }
        work.finish();
      }
      assertEquals(java.util.stream.IntStream.range(0, 100).boxed().toList(), results);

      List<Integer> partial = new ArrayList<>();
      IOException thrown = null;
      try (OrderedWork<Integer> work = new OrderedWork<>(pool, 64, partial::add)) {
        work.done(0);
        work.submit(() -> 1);
        work.submit(() -> {
          throw new IOException("disk gone");
        });
        work.done(3);
        work.submit(() -> 4);
        work.finish();
      } catch (IOException e) {
        thrown = e;
      }
      assertEquals("disk gone", thrown == null ? null : thrown.getMessage());
      assertEquals(List.of(0, 1), partial);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Submits work that captures a new array of {@code size} bytes; only a weak reference to it is returned. */
  private static WeakReference<byte[]> submitHolding(OrderedWork<Integer> work, int size, AtomicInteger runs)
      throws IOException {
    byte[] data = new byte[size];
    work.submit(() -> {
      runs.incrementAndGet();
      return data.length;
    });
    return new WeakReference<>(data);
  }
}

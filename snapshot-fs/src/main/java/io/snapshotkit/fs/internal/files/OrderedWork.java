package io.snapshotkit.fs.internal.files;

import io.snapshotkit.SnapshotException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs work items on an executor, up to a window of them ahead, and hands their results to a
 * sink in the order they were submitted, on the submitting thread.
 *
 * <p>An item nobody has started when its result is needed is run by the thread that needs it, so
 * progress never depends on the executor having a free thread: a capture or restore running on a
 * task of the same executor (as the engine does) cannot deadlock it, and a rejected submission
 * simply runs in line. Without an executor every item runs in line as it is submitted.
 *
 * <p>The first failure, in submission order, is thrown from {@link #submit} or {@link #finish}
 * after the items not yet started are cancelled and those running have ended; {@link #close}
 * does the same without throwing, so nothing submitted is still running once a
 * try-with-resources block is left.
 *
 * <p><b>Thread-safety:</b> confined to the submitting thread; items run on the executor.
 */
public final class OrderedWork<T> implements AutoCloseable {

  /** One item's work. */
  @FunctionalInterface
  public interface Work<T> {
    T run() throws IOException;
  }

  /** Receives each item's result, in submission order. */
  @FunctionalInterface
  public interface Sink<T> {
    void accept(T result) throws IOException;
  }

  private final Executor executor;
  private final int window;
  private final Sink<T> sink;
  private final ArrayDeque<Item<T>> pending = new ArrayDeque<>();

  /**
   * @param executor where items run, or null to run each as it is submitted
   * @param window how many items may be pending before the oldest half is delivered
   */
  public OrderedWork(Executor executor, int window, Sink<T> sink) {
    if (window < 2) {
      throw new IllegalArgumentException("window must be 2 or more: " + window);
    }
    this.executor = executor;
    this.window = window;
    this.sink = sink;
  }

  /** Queues an item; runs it now if there is no executor. */
  public void submit(Work<T> work) throws IOException {
    Item<T> item = new Item<>(work);
    if (executor == null) {
      item.run();
    } else {
      try {
        executor.execute(item::run);
      } catch (RejectedExecutionException e) {
        item.run();
      }
    }
    enqueue(item);
  }

  /** Queues a result already known, keeping its place in the order. */
  public void done(T result) throws IOException {
    enqueue(Item.known(result));
  }

  private void enqueue(Item<T> item) throws IOException {
    pending.addLast(item);
    if (pending.size() >= window) {
      deliver(window / 2);
    }
  }

  /** Waits for every item and delivers every result. */
  public void finish() throws IOException {
    deliver(0);
  }

  private void deliver(int keep) throws IOException {
    while (pending.size() > keep) {
      Item<T> head = pending.removeFirst();
      if (head.result == null) {
        sink.accept(head.known); // a result given with done(): nothing ran, nothing can fail
        continue;
      }
      head.run();
      T result;
      try {
        result = head.result.join();
      } catch (CompletionException ce) {
        close();
        Throwable cause = ce.getCause();
        if (cause instanceof IOException io) {
          throw io;
        }
        if (cause instanceof RuntimeException re) {
          throw re;
        }
        if (cause instanceof Error err) {
          throw err;
        }
        throw SnapshotException.wrap("running a file operation", cause);
      }
      sink.accept(result);
    }
  }

  /** Items not yet started never start; items running are waited for. Results are dropped. */
  @Override
  public void close() {
    for (Item<T> item : pending) {
      if (item.result != null && !item.cancel()) {
        try {
          item.result.join();
        } catch (CompletionException | CancellationException ignored) {
          // the first failure is the one reported
        }
      }
    }
    pending.clear();
  }

  /**
   * One item: run on the executor or, if nobody started it yet, by whoever needs it first. Its
   * work is dropped once claimed: an item run in line stays in the executor's queue until a worker
   * reaches it, and must not keep what the work captured (a chunk's bytes) reachable until then.
   * An item made with a result already known (most entries of an incremental capture) holds just
   * that result: no future, no claim.
   */
  private static final class Item<T> {
    private final AtomicBoolean claimed;
    private Work<T> work; // null once claimed; read only by the thread that claimed it
    final CompletableFuture<T> result; // null for a known result
    final T known;

    Item(Work<T> work) {
      this.claimed = new AtomicBoolean();
      this.work = work;
      this.result = new CompletableFuture<>();
      this.known = null;
    }

    private Item(T known, Void unused) {
      this.claimed = null;
      this.work = null;
      this.result = null;
      this.known = known;
    }

    static <T> Item<T> known(T result) {
      return new Item<>(result, null);
    }

    /** Runs the work unless someone already did (or is doing) it. */
    void run() {
      if (claimed.compareAndSet(false, true)) {
        Work<T> w = work;
        work = null;
        try {
          result.complete(w.run());
        } catch (Throwable t) {
          result.completeExceptionally(t);
        }
      }
    }

    /** Prevents work that has not started from ever running; false if it has started. */
    boolean cancel() {
      if (!claimed.compareAndSet(false, true)) {
        return false;
      }
      work = null;
      return result.cancel(false);
    }
  }
}

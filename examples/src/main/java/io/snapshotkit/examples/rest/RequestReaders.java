package io.snapshotkit.examples.rest;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads the JDK server reads requests on, apart from the executor that runs them, so that a
 * slow client holds one of these (never a request thread) and only until its deadline.
 *
 * <p>The JDK's {@code HttpServer} reads a request's line and headers on the thread its executor
 * gives it, with no read timeout, and {@link Intake} reads the body on the same thread. Each read
 * here runs under a deadline: when a client has not sent its whole request in time, the thread is
 * interrupted, which closes the connection's channel and ends the read (the JDK server then drops
 * the connection). A connection that has sent nothing yet holds no thread at all: the JDK server
 * waits for its first byte on its selector.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class RequestReaders implements Executor, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RequestReaders.class);
  /** At most this many requests are read at once; a connection beyond them is closed by the JDK server. */
  static final int MAX_THREADS = 64;
  private static final ThreadLocal<Deadline> CURRENT = new ThreadLocal<>();

  private final Duration timeout;
  private final ThreadPoolExecutor pool;
  private final ScheduledThreadPoolExecutor timer;

  RequestReaders(Duration timeout) {
    this.timeout = timeout;
    AtomicInteger n = new AtomicInteger();
    this.pool = new ThreadPoolExecutor(0, MAX_THREADS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, "snapshotkit-http-read-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "snapshotkit-http-deadline");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
  }

  /** Runs one of the JDK server's exchanges (read the request, call the handler) under the deadline. */
  @Override
  public void execute(Runnable exchange) {
    try {
      pool.execute(() -> {
        Deadline d = new Deadline(Thread.currentThread());
        ScheduledFuture<?> alarm = timer.schedule(d::expire, timeout.toNanos(), TimeUnit.NANOSECONDS);
        CURRENT.set(d);
        try {
          exchange.run();
        } finally {
          d.met();
          alarm.cancel(false);
          CURRENT.remove();
          Thread.interrupted(); // a deadline that fired after the last read must not leak to the next task
        }
      });
    } catch (RejectedExecutionException e) {
      log.warn("{} requests are being read at once; a new connection is closed unread", MAX_THREADS);
      throw e;
    }
  }

  /**
   * Marks the current request as completely read: its deadline no longer applies.
   *
   * @return false if the deadline had already passed (the connection is being closed)
   */
  static boolean requestRead() {
    Deadline d = CURRENT.get();
    return d == null || d.met();
  }

  /** Stops the threads; a read in progress is interrupted. */
  @Override
  public void close() {
    pool.shutdownNow();
    timer.shutdownNow();
  }

  /** One request's deadline: reading, met, or expired (then the reading thread was interrupted). */
  private static final class Deadline {
    private static final int READING = 0;
    private static final int MET = 1;
    private static final int EXPIRED = 2;
    private final Thread reader;
    private final AtomicInteger state = new AtomicInteger(READING);

    Deadline(Thread reader) {
      this.reader = reader;
    }

    boolean met() {
      return state.compareAndSet(READING, MET) || state.get() == MET;
    }

    void expire() {
      if (state.compareAndSet(READING, EXPIRED)) {
        reader.interrupt();
      }
    }
  }
}

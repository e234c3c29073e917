package io.snapshotkit.core.events;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.spi.Delivery;
import io.snapshotkit.spi.EventOutbox;
import io.snapshotkit.spi.ParkedEvent;
import io.snapshotkit.spi.StartPosition;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Forwards to a real outbox, except that it can lose acknowledgements and fail claims: the
 * process dying between a hook's return and the acknowledgement, or the database being unreachable.
 */
public final class ForwardingOutbox implements EventOutbox {
  private final EventOutbox delegate;
  private final AtomicInteger acksToLose = new AtomicInteger();
  private final AtomicInteger claimsToFail = new AtomicInteger();
  private final AtomicInteger claimCalls = new AtomicInteger();
  private final AtomicInteger acknowledgeCalls = new AtomicInteger();

  /** Wraps {@code delegate}. */
  public ForwardingOutbox(EventOutbox delegate) {
    this.delegate = delegate;
  }

  /** The next {@code n} acknowledgements throw without reaching the store. */
  public void loseAcks(int n) {
    acksToLose.set(n);
  }

  /** The next {@code n} claims throw without reaching the store. */
  public void failClaims(int n) {
    claimsToFail.set(n);
  }

  /** How many claim calls (single or runs) reached the store: one round trip each. */
  public int claimCalls() {
    return claimCalls.get();
  }

  /** How many acknowledgement calls (single or batched) reached the store: one round trip each. */
  public int acknowledgeCalls() {
    return acknowledgeCalls.get();
  }

  @Override
  public void register(String hook, StartPosition start) {
    delegate.register(hook, start);
  }

  @Override
  public List<Delivery> claim(String hook, String owner, int max, Instant now, Duration lease) {
    if (claimsToFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new SnapshotException(ErrorCode.HOST_UNAVAILABLE, "simulated: outbox database unreachable");
    }
    claimCalls.incrementAndGet();
    return delegate.claim(hook, owner, max, now, lease);
  }

  @Override
  public List<Delivery> claimRuns(String hook, String owner, int max, int perWorkload, Instant now, Duration lease) {
    if (claimsToFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new SnapshotException(ErrorCode.HOST_UNAVAILABLE, "simulated: outbox database unreachable");
    }
    claimCalls.incrementAndGet();
    return delegate.claimRuns(hook, owner, max, perWorkload, now, lease);
  }

  /** A lost acknowledgement loses the whole batch, as a failed transaction would. */
  @Override
  public void acknowledgeAll(String hook, List<Long> sequences) {
    if (acksToLose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new SnapshotException(ErrorCode.INTERNAL, "simulated: process died before the acknowledgement");
    }
    acknowledgeCalls.incrementAndGet();
    delegate.acknowledgeAll(hook, sequences);
  }

  @Override
  public void acknowledge(String hook, long sequence) {
    if (acksToLose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new SnapshotException(ErrorCode.INTERNAL, "simulated: process died before the acknowledgement");
    }
    acknowledgeCalls.incrementAndGet();
    delegate.acknowledge(hook, sequence);
  }

  @Override
  public void retryLater(String hook, long sequence, int attempts, Instant notBefore, String error) {
    delegate.retryLater(hook, sequence, attempts, notBefore, error);
  }

  @Override
  public void park(String hook, long sequence, int attempts, String error, Instant now) {
    delegate.park(hook, sequence, attempts, error, now);
  }

  @Override
  public List<ParkedEvent> parked(String hook) {
    return delegate.parked(hook);
  }

  @Override
  public boolean replay(String hook, long sequence) {
    return delegate.replay(hook, sequence);
  }

  @Override
  public int prune(Instant before) {
    return delegate.prune(before);
  }

  @Override
  public List<String> hooks() {
    return delegate.hooks();
  }
}

package io.snapshotkit.core;

import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.Delivery;
import io.snapshotkit.spi.EventOutbox;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the {@link OutboxDispatcher} claims per poll: for one hook, in one outbox call, up to
 * {@link DispatcherSettings#batchSize()} events as runs of each free workload's next events, each
 * run at most a quarter of the batch so one busy workload cannot take all of it; and whether a
 * claim came back full, meaning more events are probably waiting.
 *
 * <p>Claiming is not guarded here: the dispatcher calls {@link #claim} under its claim gate.
 *
 * <p><b>Thread-safety:</b> thread-safe; immutable.
 */
final class RunClaims {

  private final EventOutbox outbox;
  private final DispatcherSettings settings;

  RunClaims(EventOutbox outbox, DispatcherSettings settings) {
    this.outbox = outbox;
    this.settings = settings;
  }

  /**
   * Claims the hook's next runs for this dispatcher's owner id, leased from {@code now}.
   *
   * @throws RuntimeException the outbox's failure, unchanged
   */
  List<Delivery> claim(String hook, Instant now) {
    return outbox.claimRuns(hook, settings.ownerId(), settings.batchSize(), perWorkload(), now, settings.claimLease());
  }

  /** True if the claim took a whole batch, or a whole run of some workload: more is probably waiting. */
  boolean full(List<Delivery> claimed) {
    return claimed.size() >= settings.batchSize() || someRunCapped(claimed);
  }

  /** The sequence numbers of a run, for messages. */
  static List<Long> sequences(List<Delivery> run) {
    List<Long> out = new ArrayList<>(run.size());
    for (Delivery d : run) {
      out.add(d.sequence());
    }
    return out;
  }

  /** Events claimed per workload and poll: a quarter of the batch, so one busy workload cannot take all of it. */
  private int perWorkload() {
    return Math.max(1, settings.batchSize() / 4);
  }

  /** True if some workload's run reached {@link #perWorkload()}: that workload probably has more events waiting. */
  private boolean someRunCapped(List<Delivery> claimed) {
    Map<WorkloadRef, Integer> perRun = new HashMap<>();
    for (Delivery d : claimed) {
      if (perRun.merge(d.event().workload(), 1, Integer::sum) >= perWorkload()) {
        return true;
      }
    }
    return false;
  }
}

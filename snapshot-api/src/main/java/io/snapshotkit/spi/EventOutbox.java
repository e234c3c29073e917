package io.snapshotkit.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The durable outbox of snapshot events with one cursor per hook, like a consumer group.
 *
 * <p>For each hook, the events of one workload are delivered in sequence order and one claim at
 * a time holds them (one event with {@link #claim}, a run of consecutive events with
 * {@link #claimRuns}); events of different workloads are independent. An event is done
 * for a hook when acknowledged or parked; a failed event blocks the later events of its workload
 * for that hook until it is acknowledged or parked, and never blocks other hooks or workloads.
 *
 * <p><b>Threading:</b> thread-safe, and safe across engine instances sharing one database: two
 * dispatchers never hold a claim on the same hook and workload at once.
 *
 * <p><b>Failure:</b> a storage failure throws {@link io.snapshotkit.SnapshotException}; the
 * dispatcher retries on its next poll.
 */
public interface EventOutbox {

  /**
   * Registers a hook by its durable name. Registering an existing hook keeps its cursor.
   *
   * <p><b>Idempotency:</b> yes.
   */
  void register(String hook, StartPosition start);

  /**
   * Claims up to {@code max} events for {@code hook}: for each workload with undelivered events
   * for this hook, its first undone event, if its retry time has come and no unexpired claim by
   * another owner holds that workload. Claims expire after {@code lease}, so events of a crashed
   * dispatcher are delivered again. Ordered by sequence.
   *
   * <p><b>Idempotency:</b> re-claiming by the same owner renews the claim.
   */
  List<Delivery> claim(String hook, String owner, int max, Instant now, Duration lease);

  /**
   * Claims runs of events for {@code hook}: for each workload with undone events for this hook
   * whose claim is free, expired or already held by {@code owner}, up to {@code perWorkload} of its
   * first undone events in sequence order, stopping before the first one whose retry time has not
   * come; {@code max} events in all, workloads taken oldest first. The result is ordered by
   * sequence, so within one workload it is the order the events must be delivered in.
   *
   * <p>The claim holds the workload until its last claimed event is acknowledged, until any of its
   * claimed events is {@linkplain #retryLater retried later} or {@linkplain #park parked}, or until
   * {@code lease} expires. A caller delivers a workload's run in order and stops at the first
   * failure; the events after it are claimed again later, behind the failed one.
   *
   * <p>The default claims one event per workload with {@link #claim}, which is correct but makes
   * a backlog of {@code n} events of one workload cost {@code n} claims; stores should override it.
   *
   * <p><b>Idempotency:</b> re-claiming by the same owner renews the claim and may extend the run.
   *
   * @throws IllegalArgumentException if {@code max} or {@code perWorkload} is below 1 or the lease
   *     is not positive
   */
  default List<Delivery> claimRuns(String hook, String owner, int max, int perWorkload, Instant now, Duration lease) {
    StoreChecks.claimRuns(hook, owner, max, perWorkload, now, lease);
    return claim(hook, owner, max, now, lease);
  }

  /**
   * Marks the events done for {@code hook} and releases the claims that end at one of them, as
   * {@link #acknowledge} does for each, preferably in one round trip to the store.
   *
   * <p>The default acknowledges one event at a time; stores should override it.
   *
   * <p><b>Idempotency:</b> acknowledging twice is harmless.
   */
  default void acknowledgeAll(String hook, List<Long> sequences) {
    for (long sequence : sequences) {
      acknowledge(hook, sequence);
    }
  }

  /**
   * Marks the event done for {@code hook} and releases the claim.
   *
   * <p><b>Idempotency:</b> acknowledging twice is harmless.
   */
  void acknowledge(String hook, long sequence);

  /**
   * Records a failed attempt: not claimable again before {@code notBefore}; releases the claim on
   * the event's workload if that claim covers the event (also when it is part of a longer run).
   */
  void retryLater(String hook, long sequence, int attempts, Instant notBefore, String error);

  /**
   * Gives up on the event for {@code hook}: it is done for ordering purposes and listed by
   * {@link #parked}; releases the claim on its workload if that claim covers the event.
   */
  void park(String hook, long sequence, int attempts, String error, Instant now);

  /** The hook's parked events, oldest first. */
  List<ParkedEvent> parked(String hook);

  /**
   * Makes a parked event pending again with no failed attempts.
   *
   * @return false if no such parked event exists
   */
  boolean replay(String hook, long sequence);

  /**
   * Removes events appended before {@code before} that every registered hook has done, and
   * returns how many were removed.
   */
  int prune(Instant before);

  /** The registered hooks' names. */
  List<String> hooks();
}

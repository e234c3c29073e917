package io.snapshotkit.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The durable outbox of snapshot events with one cursor per hook, like a consumer group.
 *
 * <p>For each hook, the events of one workload are delivered in sequence order and at most one
 * of them is claimed at a time; events of different workloads are independent. An event is done
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
   * Marks the event done for {@code hook} and releases the claim.
   *
   * <p><b>Idempotency:</b> acknowledging twice is harmless.
   */
  void acknowledge(String hook, long sequence);

  /** Records a failed attempt: not claimable again before {@code notBefore}; releases the claim. */
  void retryLater(String hook, long sequence, int attempts, Instant notBefore, String error);

  /** Gives up on the event for {@code hook}: it is done for ordering purposes and listed by {@link #parked}. */
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

package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.EventType;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.spi.Delivery;
import io.snapshotkit.spi.EventOutbox;
import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.spi.ParkedEvent;
import io.snapshotkit.spi.StartPosition;
import io.snapshotkit.spi.StoreTransaction;
import io.snapshotkit.spi.StoreWork;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link EventOutbox} must show, one {@link Nested} group per capability. The
 * outbox is reached as the SPI reaches it: events enter through {@link StoreTransaction#append}
 * of the {@link ManifestStore} returned by {@link #newStore()}, and are delivered through its
 * {@link ManifestStore#outbox()}. An outbox adapter runs this contract alone by extending it:
 *
 * <pre>{@code
 * class SqliteEventOutboxIT extends EventOutboxContract {
 *   @TempDir Path dir;
 *   protected ManifestStore newStore() { return JdbcManifestStore.sqlite(dir.resolve("s.db")); }
 * }
 * }</pre>
 *
 * <p>That an event is written in the same transaction as the change it reports is proven by
 * wrapping the store in a {@link FailingManifestStore} and failing a transaction after both were
 * written.
 *
 * <p>All times are explicit, whole seconds after {@link #BASE}; nothing sleeps. Where the SPI
 * leaves a detail open this suite pins it down:
 * <ul>
 *   <li>an event's age for {@link EventOutbox#prune} is its {@link SnapshotEvent#at()};
 *   <li>parked events are kept by {@code prune} until replayed and acknowledged.
 * </ul>
 *
 * <p><b>Thread-safety:</b> a JUnit test class; each test runs on one instance.
 */
public abstract class EventOutboxContract extends StoreFixture {

  /** Creates the contract; subclasses supply {@link #newStore()}. */
  protected EventOutboxContract() {}

  /** Events enter through StoreTransaction#append and become visible when, and only when, the transaction commits. */
  @Nested
  @DisplayName("Append in the same transaction")
  class AppendInTheSameTransaction {

    @Test
    @DisplayName("an appended event is claimable once its transaction commits, with every field intact")
    void appendVisibleAfterCommit() {
      outbox().register("audit", StartPosition.BEGINNING);
      SnapshotEvent e = new SnapshotEvent("evt-full", EventType.DELETE_FAILED, W1, Optional.of(id(1)), 3, at(7),
          Map.of("hosts", "h2,h3", "reason", "host h2 is offline"));
      append(e);
      List<Delivery> claimed = outbox().claim("audit", "d1", 10, at(10), LEASE);
      assertEquals(1, claimed.size());
      assertEquals(e, claimed.get(0).event());
      assertEquals(0, claimed.get(0).attempts());
    }

    @Test
    @DisplayName("sequence numbers increase in commit order")
    void sequencesIncrease() {
      outbox().register("audit", StartPosition.BEGINNING);
      store.inTransaction(tx -> {
        tx.append(event(W1, 1));
        tx.append(event(W2, 2));
        return null;
      });
      append(event(OTHER, 3));
      List<Delivery> claimed = outbox().claim("audit", "d1", 10, at(10), LEASE);
      assertEquals(List.of("evt-1", "evt-2", "evt-3"), eventIds(claimed));
      assertTrue(claimed.get(0).sequence() < claimed.get(1).sequence());
      assertTrue(claimed.get(1).sequence() < claimed.get(2).sequence());
    }

    @Test
    @DisplayName("a storage failure after the state change and the event were written rolls back both")
    void failedWriteAfterChangeAndEventLeavesNeither() {
      outbox().register("audit", StartPosition.BEGINNING);
      Snapshot ready = readyRow(W1, 1, OptionalLong.of(5));
      FailingManifestStore failing = FailingManifestStore.wrap(store);
      failing.failWrite(3);
      SnapshotException e = assertThrows(SnapshotException.class, () -> failing.inTransaction(tx -> {
        assertTrue(tx.compareAndSet(SnapshotStatus.READY, ready.withStatus(SnapshotStatus.DELETING)));
        tx.append(event(W1, 2));
        tx.putManifest(ready.id(), "{}".getBytes(StandardCharsets.UTF_8));
        return null;
      }));
      assertEquals(ErrorCode.INTERNAL, e.code());
      assertEquals(Optional.of(ready), store.find(ready.id()), "the state change was rolled back");
      assertEquals(Optional.empty(), store.manifest(ready.id()));
      assertEquals(List.of(), outbox().claim("audit", "d1", 10, at(100), LEASE), "the event was rolled back");
    }

    @Test
    @DisplayName("a failure at commit leaves neither the change nor its event; the retried transaction commits both, once")
    void failureBeforeCommitLeavesNeitherAndRetryCommitsOnce() {
      outbox().register("audit", StartPosition.BEGINNING);
      Snapshot ready = readyRow(W1, 1, OptionalLong.of(5));
      Snapshot deleting = ready.withStatus(SnapshotStatus.DELETING);
      FailingManifestStore failing = FailingManifestStore.wrap(store);
      StoreWork<Boolean> markDeleting = tx -> {
        boolean moved = tx.compareAndSet(SnapshotStatus.READY, deleting);
        tx.append(event(W1, 2));
        return moved;
      };
      failing.failBeforeCommit();
      SnapshotException e = assertThrows(SnapshotException.class, () -> failing.inTransaction(markDeleting));
      assertEquals(ErrorCode.INTERNAL, e.code());
      assertEquals(Optional.of(ready), store.find(ready.id()));
      assertEquals(List.of(), outbox().claim("audit", "d1", 10, at(100), LEASE));
      assertTrue(failing.inTransaction(markDeleting), "the failure was injected once");
      assertEquals(Optional.of(deleting), store.find(ready.id()));
      assertEquals(List.of("evt-2"), eventIds(outbox().claim("audit", "d1", 10, at(101), LEASE)));
    }
  }

  /** Claims hand out the first undone events of each workload, one holder at a time, for a lease. */
  @Nested
  @DisplayName("Claim and lease")
  class ClaimAndLease {

    @Test
    @DisplayName("claim returns the first undone event of each workload, ordered by sequence, up to max")
    void claimFirstPerWorkload() {
      outbox().register("audit", StartPosition.BEGINNING);
      append(event(W1, 1));
      append(event(W2, 2));
      append(event(W1, 3));
      append(event(OTHER, 4));
      append(event(W2, 5));
      assertEquals(List.of("evt-1", "evt-2"), eventIds(outbox().claim("audit", "d1", 2, at(10), LEASE)));
      assertEquals(List.of("evt-1", "evt-2", "evt-4"), eventIds(outbox().claim("audit", "d1", 10, at(10), LEASE)),
          "re-claiming by the same owner renews its claims and adds the next workload");
    }

    @Test
    @DisplayName("claimRuns takes up to perWorkload first undone events of each workload, in order, up to max in all")
    void claimRunsTakesRunsPerWorkload() {
      outbox().register("audit", StartPosition.BEGINNING);
      append(event(W1, 1));
      append(event(W2, 2));
      append(event(W1, 3));
      append(event(W1, 4));
      append(event(W2, 5));
      append(event(OTHER, 6));
      assertEquals(List.of("evt-1", "evt-2", "evt-3", "evt-5"),
          eventIds(outbox().claimRuns("audit", "a", 4, 2, at(10), LEASE)),
          "two per workload, oldest workloads first, four in all, ordered by sequence");
      assertEquals(List.of("evt-6"), eventIds(outbox().claimRuns("audit", "b", 10, 10, at(10), LEASE)),
          "another owner gets the free workload only, not the unclaimed tail of a held one");
      assertEquals(List.of("evt-1", "evt-2", "evt-3", "evt-4", "evt-5"),
          eventIds(outbox().claimRuns("audit", "a", 10, 10, at(11), LEASE)),
          "the holder re-claims, renewing and extending its runs");
    }

    @Test
    @DisplayName("a run's claim is released by acknowledging its last event, not an earlier one")
    void claimRunsReleasedByLastAcknowledgement() {
      outbox().register("audit", StartPosition.BEGINNING);
      append(event(W1, 1));
      append(event(W1, 2));
      append(event(W1, 3));
      List<Delivery> run = outbox().claimRuns("audit", "a", 10, 2, at(0), LEASE);
      assertEquals(List.of("evt-1", "evt-2"), eventIds(run));
      outbox().acknowledgeAll("audit", List.of(run.get(0).sequence()));
      assertEquals(List.of(), outbox().claimRuns("audit", "b", 10, 10, at(1), LEASE),
          "evt-2 is still claimed by a, so b must not take the workload");
      outbox().acknowledgeAll("audit", List.of(run.get(1).sequence(), run.get(1).sequence()));
      assertEquals(List.of("evt-3"), eventIds(outbox().claimRuns("audit", "b", 10, 10, at(2), LEASE)),
          "the run is done: its claim is released and only undone events are handed out");
    }

    @Test
    @DisplayName("a failure inside a run releases the run's claim; the event and its successors wait for the retry time")
    void claimRunsReleasedByFailureInside() {
      outbox().register("audit", StartPosition.BEGINNING);
      append(event(W1, 1));
      append(event(W1, 2));
      append(event(W1, 3));
      List<Delivery> run = outbox().claimRuns("audit", "a", 10, 10, at(0), LEASE);
      assertEquals(List.of("evt-1", "evt-2", "evt-3"), eventIds(run));
      outbox().acknowledgeAll("audit", List.of(run.get(0).sequence()));
      outbox().retryLater("audit", run.get(1).sequence(), 1, at(30), "timeout");
      assertEquals(List.of(), outbox().claimRuns("audit", "b", 10, 10, at(29), LEASE),
          "evt-3 must not overtake the failed evt-2");
      List<Delivery> retried = outbox().claimRuns("audit", "b", 10, 10, at(30), LEASE);
      assertEquals(List.of("evt-2", "evt-3"), eventIds(retried), "released for any owner, long before a's lease ends");
      assertEquals(1, retried.get(0).attempts());
      outbox().park("audit", retried.get(0).sequence(), 2, "gave up", at(31));
      assertEquals(List.of("evt-3"), eventIds(outbox().claimRuns("audit", "c", 10, 10, at(31), LEASE)),
          "parking inside a run releases it too");
    }

    @Test
    @DisplayName("two events of one workload are never claimed at once, even by different owners")
    void neverTwoOfOneWorkload() {
      outbox().register("audit", StartPosition.BEGINNING);
      append(event(W1, 1));
      append(event(W1, 2));
      assertEquals(List.of("evt-1"), eventIds(outbox().claim("audit", "a", 10, at(10), LEASE)));
      assertEquals(List.of(), outbox().claim("audit", "b", 10, at(10), LEASE));
      assertEquals(List.of("evt-1"), eventIds(outbox().claim("audit", "a", 10, at(11), LEASE)));
    }

    @Test
    @DisplayName("another owner cannot claim a held workload until the lease expires; renewal extends it")
    void leaseExpiry() {
      outbox().register("audit", StartPosition.BEGINNING);
      append(event(W1, 1));
      assertEquals(1, outbox().claim("audit", "a", 10, at(0), LEASE).size());
      assertEquals(List.of(), outbox().claim("audit", "b", 10, at(59), LEASE));
      assertEquals(1, outbox().claim("audit", "a", 10, at(50), LEASE).size(), "owner a renews until 110");
      assertEquals(List.of(), outbox().claim("audit", "b", 10, at(100), LEASE));
      List<Delivery> taken = outbox().claim("audit", "b", 10, at(111), LEASE);
      assertEquals(List.of("evt-1"), eventIds(taken), "a crashed dispatcher's event is delivered again");
      assertEquals(List.of(), outbox().claim("audit", "a", 10, at(112), LEASE), "b holds it now");
    }

    @Test
    @DisplayName("retryLater hides the event, and the workload's later events, until notBefore")
    void retryLaterHidesUntilNotBefore() {
      outbox().register("audit", StartPosition.BEGINNING);
      append(event(W1, 1));
      append(event(W2, 2));
      append(event(W1, 3));
      List<Delivery> claimed = outbox().claim("audit", "a", 10, at(0), LEASE);
      outbox().retryLater("audit", claimed.get(0).sequence(), 1, at(30), "timeout");
      outbox().acknowledge("audit", claimed.get(1).sequence());
      assertEquals(List.of(), outbox().claim("audit", "b", 10, at(29), LEASE));
      List<Delivery> retried = outbox().claim("audit", "b", 10, at(30), LEASE);
      assertEquals(List.of("evt-1"), eventIds(retried), "retryLater released the claim of owner a");
      assertEquals(1, retried.get(0).attempts());
    }
  }

  /** Each hook has its own cursor: registration, acknowledgement and independence of hooks. */
  @Nested
  @DisplayName("Acknowledgements and cursors")
  class AckAndCursors {

    @Test
    @DisplayName("a hook registered NOW sees only later events; one registered BEGINNING sees retained ones too")
    void registerNowVersusBeginning() {
      append(event(W1, 1));
      outbox().register("now", StartPosition.NOW);
      outbox().register("begin", StartPosition.BEGINNING);
      append(event(W2, 2));
      assertEquals(List.of("evt-2"), eventIds(outbox().claim("now", "d1", 10, at(10), LEASE)));
      assertEquals(List.of("evt-1", "evt-2"), eventIds(outbox().claim("begin", "d1", 10, at(10), LEASE)));
      assertEquals(Set.of("now", "begin"), Set.copyOf(outbox().hooks()));
    }

    @Test
    @DisplayName("registering an existing hook again keeps its cursor")
    void reRegisterKeepsCursor() {
      outbox().register("audit", StartPosition.BEGINNING);
      append(event(W1, 1));
      Delivery d = outbox().claim("audit", "d1", 10, at(10), LEASE).get(0);
      outbox().acknowledge("audit", d.sequence());
      outbox().register("audit", StartPosition.BEGINNING);
      assertEquals(List.of(), outbox().claim("audit", "d1", 10, at(11), LEASE));
      assertEquals(List.of("audit"), outbox().hooks());
    }

    @Test
    @DisplayName("acknowledge marks the event done and lets the workload's next event be claimed; twice is harmless")
    void acknowledgeAdvances() {
      outbox().register("audit", StartPosition.BEGINNING);
      append(event(W1, 1));
      append(event(W1, 2));
      Delivery first = outbox().claim("audit", "a", 10, at(10), LEASE).get(0);
      outbox().acknowledge("audit", first.sequence());
      outbox().acknowledge("audit", first.sequence());
      assertEquals(List.of("evt-2"), eventIds(outbox().claim("audit", "b", 10, at(10), LEASE)),
          "acknowledging releases the claim, so any owner may take the next event");
    }

    @Test
    @DisplayName("each hook progresses independently: one hook's failure never blocks another")
    void hooksIndependent() {
      outbox().register("slow", StartPosition.BEGINNING);
      outbox().register("fast", StartPosition.BEGINNING);
      append(event(W1, 1));
      append(event(W1, 2));
      Delivery slow = outbox().claim("slow", "d", 10, at(0), LEASE).get(0);
      outbox().retryLater("slow", slow.sequence(), 1, at(1000), "down");
      Delivery fast1 = outbox().claim("fast", "d", 10, at(0), LEASE).get(0);
      outbox().acknowledge("fast", fast1.sequence());
      assertEquals(List.of("evt-2"), eventIds(outbox().claim("fast", "d", 10, at(1), LEASE)));
      assertEquals(List.of(), outbox().claim("slow", "d", 10, at(1), LEASE));
      assertEquals(List.of("evt-1"), eventIds(outbox().claim("slow", "d", 10, at(1000), LEASE)));
    }
  }

  /** Parking gives up on an event without blocking its workload; replay brings it back. */
  @Nested
  @DisplayName("Park and replay")
  class ParkAndReplay {

    @Test
    @DisplayName("park makes the workload's later events claimable and lists the event in parked()")
    void parkUnblocksAndLists() {
      outbox().register("audit", StartPosition.BEGINNING);
      append(event(W1, 1));
      append(event(W1, 2));
      Delivery d = outbox().claim("audit", "a", 10, at(0), LEASE).get(0);
      outbox().park("audit", d.sequence(), 10, "hook threw IOException", at(5));
      assertEquals(List.of("evt-2"), eventIds(outbox().claim("audit", "a", 10, at(6), LEASE)));
      assertEquals(List.of(new ParkedEvent("audit", d.sequence(), event(W1, 1), 10, "hook threw IOException", at(5))),
          outbox().parked("audit"));
    }

    @Test
    @DisplayName("replay makes a parked event pending again with no failed attempts")
    void replayRequeues() {
      outbox().register("audit", StartPosition.BEGINNING);
      append(event(W1, 1));
      Delivery d = outbox().claim("audit", "a", 10, at(0), LEASE).get(0);
      assertFalse(outbox().replay("audit", d.sequence()), "only parked events can be replayed");
      outbox().park("audit", d.sequence(), 3, "boom", at(1));
      assertEquals(List.of(), outbox().claim("audit", "a", 10, at(2), LEASE));
      assertTrue(outbox().replay("audit", d.sequence()));
      assertEquals(List.of(), outbox().parked("audit"));
      List<Delivery> again = outbox().claim("audit", "a", 10, at(3), LEASE);
      assertEquals(List.of("evt-1"), eventIds(again));
      assertEquals(0, again.get(0).attempts());
      assertFalse(outbox().replay("audit", d.sequence() + 1000));
    }
  }

  /** Pruning removes only old events that every hook is done with. */
  @Nested
  @DisplayName("Prune")
  class Prune {

    @Test
    @DisplayName("prune removes only events older than the cutoff that every hook acknowledged; parked ones stay")
    void pruneOnlyDoneAndOld() {
      outbox().register("a", StartPosition.BEGINNING);
      outbox().register("b", StartPosition.BEGINNING);
      append(event(W1, 1));
      append(event(W1, 2));
      append(event(W2, 3));
      append(event(W1, 40));
      for (int i = 0; i < 4; i++) {
        for (Delivery d : outbox().claim("a", "x", 10, at(50), LEASE)) {
          outbox().acknowledge("a", d.sequence());
        }
      }
      Delivery b1 = outbox().claim("b", "x", 10, at(50), LEASE).get(0);
      outbox().acknowledge("b", b1.sequence());
      List<Delivery> b2 = outbox().claim("b", "x", 10, at(50), LEASE);
      assertEquals(List.of("evt-2", "evt-3"), eventIds(b2));
      outbox().park("b", b2.get(1).sequence(), 5, "boom", at(51));
      assertEquals(1, outbox().prune(at(30)), "only evt-1 is old and done for both hooks");
      assertEquals(0, outbox().prune(at(30)));
      assertEquals(List.of("evt-2"), eventIds(outbox().claim("b", "x", 10, at(52), LEASE)),
          "b's pending event survived");
      assertEquals(1, outbox().parked("b").size(), "the parked event survived");
      assertTrue(outbox().replay("b", b2.get(1).sequence()));
    }
  }

  /** Arguments the SPI forbids are refused. */
  @Nested
  @DisplayName("Preconditions")
  class Preconditions {

    @Test
    @DisplayName("register refuses a blank or null hook name and registers nothing")
    void registerRefusesBlankHook() {
      assertThrows(IllegalArgumentException.class, () -> outbox().register(" ", StartPosition.BEGINNING));
      assertThrows(NullPointerException.class, () -> outbox().register(null, StartPosition.BEGINNING));
      assertEquals(List.of(), outbox().hooks());
    }

    @Test
    @DisplayName("claim and claimRuns refuse max or perWorkload below 1 and a lease that is not positive")
    void claimRefusesBadArguments() {
      outbox().register("audit", StartPosition.BEGINNING);
      append(event(W1, 1));
      assertThrows(IllegalArgumentException.class, () -> outbox().claim("audit", "a", 0, at(1), LEASE));
      assertThrows(IllegalArgumentException.class, () -> outbox().claim("audit", "a", 1, at(1), Duration.ZERO));
      assertThrows(IllegalArgumentException.class, () -> outbox().claimRuns("audit", "a", 1, 0, at(1), LEASE));
      assertThrows(IllegalArgumentException.class,
          () -> outbox().claimRuns("audit", "a", 1, 1, at(1), Duration.ofSeconds(-1)));
      assertEquals(List.of("evt-1"), eventIds(outbox().claim("audit", "b", 10, at(1), LEASE)),
          "a refused claim holds nothing");
    }
  }
}

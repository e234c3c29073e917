package io.snapshotkit.core;

import io.snapshotkit.spi.Delivery;
import io.snapshotkit.spi.EventHook;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.BooleanSupplier;

/**
 * Delivers one hook's claimed run of one workload's events, in order, for the
 * {@link OutboxDispatcher}: each event to the hook, the delivered ones acknowledged together, the
 * first failure recorded as a retry or a parking ({@link DeliveryOutcomes}), and the run cut short
 * when the dispatcher stops or half the claim lease has passed. Outcomes are recorded under the
 * dispatcher's claim gate (read lock), so a claim never sees a run that is finishing.
 *
 * <p><b>Thread-safety:</b> thread-safe; each run is delivered on one delivery-executor thread.
 */
final class RunDelivery {
  private final Clock clock;
  private final DispatcherSettings settings;
  private final DeliveryOutcomes outcomes;
  private final ReadWriteLock claimGate;

  RunDelivery(Clock clock, DispatcherSettings settings, DeliveryOutcomes outcomes, ReadWriteLock claimGate) {
    this.clock = clock;
    this.settings = settings;
    this.outcomes = outcomes;
    this.claimGate = claimGate;
  }

  /**
   * Delivers one workload's claimed run in order, acknowledging the delivered events together. Stops
   * at the first failure (recorded as a retry or parking, which releases the claim), when the
   * dispatcher is stopped, or once half the claim lease has passed since the claim, so that a run
   * of slow hook calls never outlives its claim; the rest stays claimed by this dispatcher, which
   * takes it again on its next poll (or another one after the lease).
   *
   * @param stopped whether the dispatcher has been stopped
   * @param finish runs once the run is over, after the last acknowledgement, under the claim gate
   * @return how many hook calls were made
   */
  int deliver(String name, EventHook hook, List<Delivery> run, Instant claimedAt, BooleanSupplier stopped,
      Runnable finish) {
    Instant stopBy = claimedAt.plus(settings.claimLease().dividedBy(2));
    List<Long> delivered = new ArrayList<>(run.size());
    int attempted = 0;
    try {
      for (Delivery delivery : run) {
        if (attempted > 0 && (stopped.getAsBoolean() || clock.instant().isAfter(stopBy))) {
          break;
        }
        attempted++;
        Throwable failure = null;
        boolean fatal = false;
        try {
          hook.onEvent(delivery.event());
        } catch (VirtualMachineError e) {
          fatal = true;
          failure = e;
        } catch (Throwable t) {
          if (t instanceof InterruptedException) {
            Thread.currentThread().interrupt();
          }
          failure = t;
        }
        if (failure == null) {
          delivered.add(delivery.sequence());
          outcomes.delivered(name, delivery);
          continue;
        }
        claimGate.readLock().lock();
        try {
          outcomes.acknowledge(name, delivered);
          delivered.clear();
          if (fatal) {
            outcomes.fatal(name, delivery, failure);
          } else {
            outcomes.failed(name, delivery, failure);
          }
        } finally {
          claimGate.readLock().unlock();
        }
        break;
      }
    } finally {
      claimGate.readLock().lock();
      try {
        outcomes.acknowledge(name, delivered);
      } finally {
        finish.run();
        claimGate.readLock().unlock();
      }
    }
    return attempted;
  }
}

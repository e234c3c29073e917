package io.snapshotkit.spi;

import io.snapshotkit.Plan;
import io.snapshotkit.TenantId;

/**
 * The application's plan lookup: which limits apply to a tenant.
 *
 * <p><b>Threading:</b> thread-safe; called on every capture.
 *
 * <p><b>Idempotency:</b> read-only.
 *
 * <p><b>Failure:</b> an exception fails the capture before anything is written.
 */
@FunctionalInterface
public interface PlanProvider {
  /** The plan in force for the tenant now. */
  Plan planFor(TenantId tenant);
}

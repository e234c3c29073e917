package io.snapshotkit.testkit;

import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.EventOutbox;
import io.snapshotkit.spi.ManifestStore;
import io.snapshotkit.spi.StoreWork;
import java.util.List;
import java.util.OptionalLong;

/**
 * The base of {@link ManifestStoreContract}'s groups kept in files of their own ({@link
 * VersionChecks}, {@link AdmissionChecks}, {@link TransitionChecks}, {@link TransactionChecks},
 * {@link ListingChecks}, {@link ScheduleChecks}, {@link UsageChecks}): the contract instance's
 * fresh store and its helpers, so a group's tests read as they would inside the contract.
 *
 * <p><b>Thread-safety:</b> a JUnit test class; each test runs on one instance.
 */
abstract class ContractGroup {

  ContractGroup() {}

  /** The contract instance whose fresh store this group's tests use. */
  abstract StoreFixture fixture();

  ManifestStore store() {
    return fixture().store;
  }

  Snapshot insert(Snapshot row) {
    return fixture().insert(row);
  }

  Snapshot markReady(Snapshot capturing, OptionalLong size) {
    return fixture().markReady(capturing, size);
  }

  Snapshot readyRow(WorkloadRef workload, int n, OptionalLong size) {
    return fixture().readyRow(workload, n, size);
  }

  int nextVersion(WorkloadRef workload) {
    return fixture().nextVersion(workload);
  }

  boolean check(StoreWork<Boolean> work) {
    return fixture().check(work);
  }

  List<Snapshot> listAll(SnapshotQuery query) {
    return fixture().listAll(query);
  }

  EventOutbox outbox() {
    return fixture().outbox();
  }
}

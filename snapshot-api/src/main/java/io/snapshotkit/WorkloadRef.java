package io.snapshotkit;

import java.util.Objects;

/**
 * A workload (sandbox, container, micro-VM, workspace, app volume) of one tenant.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param tenant the owner
 * @param id 1 to 128 characters: letters, digits and {@code . _ - :}
 */
public record WorkloadRef(TenantId tenant, String id) implements Comparable<WorkloadRef> {
  /** Validates the components. */
  public WorkloadRef {
    Objects.requireNonNull(tenant, "tenant");
    Names.requireIdentifier("workload id", id, 128);
  }

  /** A workload of a tenant. */
  public static WorkloadRef of(TenantId tenant, String id) {
    return new WorkloadRef(tenant, id);
  }

  /** A workload of a tenant, both given as text. */
  public static WorkloadRef of(String tenant, String id) {
    return new WorkloadRef(TenantId.of(tenant), id);
  }

  /** A key unique across tenants, {@code tenant/id}, for maps, logs and storage. */
  public String key() {
    return tenant.value() + "/" + id;
  }

  @Override
  public int compareTo(WorkloadRef other) {
    int byTenant = tenant.compareTo(other.tenant);
    return byTenant != 0 ? byTenant : id.compareTo(other.id);
  }

  @Override
  public String toString() {
    return key();
  }
}

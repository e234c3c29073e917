package io.snapshotkit;

/**
 * The owner of workloads (a team or organisation). Every read and write is scoped by tenant.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param value 1 to 128 characters: letters, digits and {@code . _ - :}
 */
public record TenantId(String value) implements Comparable<TenantId> {
  /** Validates the value. */
  public TenantId {
    Names.requireIdentifier("tenant id", value, 128);
  }

  /** Parses a tenant id, rejecting malformed text with {@link ErrorCode#INVALID_ARGUMENT}. */
  public static TenantId of(String value) {
    return new TenantId(value);
  }

  @Override
  public int compareTo(TenantId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}

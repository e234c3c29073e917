package io.snapshotkit.core;

import io.snapshotkit.SnapshotException;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * How to fork a snapshot ({@link SnapshotEngine#fork}): the host that gets the child, where the
 * agent materialises the child's data, and the child snapshot's name and labels. Every setting is
 * optional; each method returns a changed copy.
 *
 * <pre>{@code
 * engine.fork(tenant, id, WorkloadRef.of("acme", "ws-2"), ForkOptions.defaults().target("/srv/ws-2"));
 * }</pre>
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public final class ForkOptions {
  private static final ForkOptions DEFAULTS = new ForkOptions(Optional.empty(), Optional.empty(), "", Map.of());

  private final Optional<String> host;
  private final Optional<String> target;
  private final String name;
  private final Map<String, String> labels;

  private ForkOptions(Optional<String> host, Optional<String> target, String name, Map<String, String> labels) {
    this.host = host;
    this.target = target;
    this.name = name;
    this.labels = labels;
  }

  /** No host, no target, no name, no labels. */
  public static ForkOptions defaults() {
    return DEFAULTS;
  }

  /**
   * A copy that places the child on {@code hostId}. Without it, the child goes to the host the
   * directory names for the new workload, else to the source snapshot's host.
   *
   * @throws SnapshotException INVALID_ARGUMENT if blank
   */
  public ForkOptions host(String hostId) {
    Objects.requireNonNull(hostId, "hostId");
    if (hostId.isBlank()) {
      throw SnapshotException.invalid("a fork's host must not be blank; leave it unset to use the directory's placement");
    }
    return new ForkOptions(Optional.of(hostId), target, name, labels);
  }

  /**
   * A copy that has the agent materialise the child's data at {@code where} (agent-specific: for
   * the directory agent a directory that gets one subdirectory per volume, and the child is tracked
   * there). Without it the agent stores the child's snapshot only.
   *
   * @throws SnapshotException INVALID_ARGUMENT if blank
   */
  public ForkOptions target(String where) {
    Objects.requireNonNull(where, "target");
    if (where.isBlank()) {
      throw SnapshotException.invalid("a fork target must not be blank; leave it unset to store the child snapshot only");
    }
    return new ForkOptions(host, Optional.of(where), name, labels);
  }

  /**
   * A copy naming the child snapshot (checked as {@link CaptureSpec#name} checks names).
   *
   * @throws SnapshotException INVALID_ARGUMENT for an unsafe name
   */
  public ForkOptions name(String newName) {
    Objects.requireNonNull(newName, "name");
    return new ForkOptions(host, target, CaptureSpec.safeName(newName), labels);
  }

  /** A copy with these labels on the child snapshot. */
  public ForkOptions labels(Map<String, String> newLabels) {
    Objects.requireNonNull(newLabels, "labels");
    TreeMap<String, String> copy = new TreeMap<>();
    newLabels.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "label key"), Objects.requireNonNull(v, "label value")));
    return new ForkOptions(host, target, name, Collections.unmodifiableMap(copy));
  }

  /** The host that gets the child, if chosen. */
  public Optional<String> host() {
    return host;
  }

  /** Where the child's data is materialised, if anywhere. */
  public Optional<String> target() {
    return target;
  }

  /** The child snapshot's name; empty for none. */
  public String name() {
    return name;
  }

  /** The child snapshot's labels, sorted. */
  public Map<String, String> labels() {
    return labels;
  }

  @Override
  public String toString() {
    return "ForkOptions[host=" + host + ", target=" + target + ", name=" + name + ", labels=" + labels + "]";
  }
}

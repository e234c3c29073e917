package io.snapshotkit.core;

import io.snapshotkit.Excludes;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.QuiescePolicy;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What to capture: the workload, an optional display name, the trigger, labels, how to quiesce and
 * what to leave out.
 * Start from {@link #of(WorkloadRef)} and derive changed copies with the {@code with}-style methods:
 *
 * <pre>{@code
 * CaptureSpec spec = CaptureSpec.of(workload).name("before upgrade").trigger(Trigger.PRE_EXEC);
 * }</pre>
 *
 * <p>The name is trimmed and must be a safe name: at most {@value #MAX_NAME_LENGTH} characters, no
 * path separators ({@code /} or {@code \}), no control characters, and not starting with a dot or a
 * dash. An empty name is allowed; the snapshot is then shown as "Version N".
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param workload the workload to capture
 * @param name the display name, trimmed; empty for none
 * @param trigger why the snapshot is taken; {@link Trigger#MANUAL} by default
 * @param labels application metadata stored with the snapshot, copied and sorted
 * @param quiesce how to quiesce the workload; empty uses the engine's default policy
 * @param fullRescan ask the host agent to re-read everything rather than trust the parent snapshot
 * @param protect create the snapshot protected, so that it cannot be deleted until unprotected
 * @param excludes this capture's own gitignore-style patterns, applied after those the workload
 *     declares on its host; the host records them with the snapshot and a replace restore of it
 *     leaves those paths as they are on disk. A host agent that cannot exclude paths refuses a
 *     capture with patterns (INVALID_ARGUMENT, the snapshot FAILED)
 */
public record CaptureSpec(
    WorkloadRef workload, String name, Trigger trigger, Map<String, String> labels,
    Optional<QuiescePolicy> quiesce, boolean fullRescan, boolean protect, Excludes excludes) {

  /** The longest display name accepted. */
  public static final int MAX_NAME_LENGTH = 64;

  /**
   * Validates and copies.
   *
   * @throws SnapshotException {@link io.snapshotkit.ErrorCode#INVALID_ARGUMENT} for an unsafe name
   */
  public CaptureSpec {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(trigger, "trigger");
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(quiesce, "quiesce");
    Objects.requireNonNull(excludes, "excludes");
    name = safeName(name);
    TreeMap<String, String> copy = new TreeMap<>();
    labels.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "label key"), Objects.requireNonNull(v, "label value")));
    labels = Collections.unmodifiableMap(copy);
  }

  /** A manual, unnamed capture of {@code workload} with the engine's default quiesce policy. */
  public static CaptureSpec of(WorkloadRef workload) {
    return new CaptureSpec(workload, "", Trigger.MANUAL, Map.of(), Optional.empty(), false, false, Excludes.none());
  }

  /** A copy with this display name (trimmed and checked; empty for none). */
  public CaptureSpec name(String newName) {
    return new CaptureSpec(workload, newName, trigger, labels, quiesce, fullRescan, protect, excludes);
  }

  /** A copy with this trigger. */
  public CaptureSpec trigger(Trigger newTrigger) {
    return new CaptureSpec(workload, name, newTrigger, labels, quiesce, fullRescan, protect, excludes);
  }

  /** A copy with these labels (replacing any given before). */
  public CaptureSpec labels(Map<String, String> newLabels) {
    return new CaptureSpec(workload, name, trigger, newLabels, quiesce, fullRescan, protect, excludes);
  }

  /** A copy that quiesces with this policy instead of the engine's default. */
  public CaptureSpec quiesce(QuiescePolicy policy) {
    return new CaptureSpec(workload, name, trigger, labels, Optional.of(policy), fullRescan, protect, excludes);
  }

  /** A copy that asks for (or stops asking for) a full re-scan. */
  public CaptureSpec fullRescan(boolean value) {
    return new CaptureSpec(workload, name, trigger, labels, quiesce, value, protect, excludes);
  }

  /** A copy that creates the snapshot protected (or not). */
  public CaptureSpec protect(boolean value) {
    return new CaptureSpec(workload, name, trigger, labels, quiesce, fullRescan, value, excludes);
  }

  /** A copy with this capture's own exclude patterns (replacing any given before). */
  public CaptureSpec excludes(Excludes patterns) {
    return new CaptureSpec(workload, name, trigger, labels, quiesce, fullRescan, protect, patterns);
  }

  /** Trims and checks a display name against the safe-name rule. */
  static String safeName(String raw) {
    String name = raw.trim();
    if (name.length() > MAX_NAME_LENGTH) {
      throw SnapshotException.invalid(
          "a snapshot name has at most " + MAX_NAME_LENGTH + " characters (this one has " + name.length() + "); shorten it");
    }
    if (name.startsWith(".") || name.startsWith("-")) {
      throw SnapshotException.invalid("a snapshot name must not start with a dot or a dash; rename it");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '/' || c == '\\') {
        throw SnapshotException.invalid("a snapshot name must not contain '/' or '\\' (position " + i + "); rename it");
      }
      if (Character.isISOControl(c)) {
        throw SnapshotException.invalid("a snapshot name must not contain control characters (position " + i + "); rename it");
      }
      if (Character.isSurrogate(c)) {
        boolean paired = Character.isHighSurrogate(c) && i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1));
        if (!paired) {
          throw SnapshotException.invalid("a snapshot name must be valid Unicode text (a lone surrogate at position " + i
              + " cannot be stored); rename it");
        }
        i++;
      }
    }
    return name;
  }
}

package io.snapshotkit;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The differences within one resource family, sorted by natural key so results are deterministic.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param changes the differences, sorted by key
 */
public record FamilyDiff(List<Change> changes) {
  /** Copies and sorts. */
  public FamilyDiff {
    Objects.requireNonNull(changes, "changes");
    changes = changes.stream().sorted(Comparator.comparing(Change::key)).toList();
  }

  /** How many resources only the newer side has. */
  public long added() {
    return changes.stream().filter(c -> c instanceof Change.Added).count();
  }

  /** How many resources only the older side has. */
  public long removed() {
    return changes.stream().filter(c -> c instanceof Change.Removed).count();
  }

  /** How many resources both sides have with different documents. */
  public long changed() {
    return changes.stream().filter(c -> c instanceof Change.Changed).count();
  }

  /** The same differences seen from the other side. */
  public FamilyDiff mirror() {
    return new FamilyDiff(changes.stream().map(Change::mirror).toList());
  }
}

package io.snapshotkit;

import java.util.Objects;

/**
 * One difference between two states of a resource family, keyed by natural key.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public sealed interface Change permits Change.Added, Change.Removed, Change.Changed {

  /** The natural key of the resource that differs. */
  String key();

  /** The same difference seen from the other side: added becomes removed, and so on. */
  Change mirror();

  /**
   * Present on the newer side only.
   *
   * @param after the resource as it is on the newer side
   */
  record Added(Resource after) implements Change {
    /** Validates. */
    public Added {
      Objects.requireNonNull(after, "after");
    }

    @Override
    public String key() {
      return after.key();
    }

    @Override
    public Change mirror() {
      return new Removed(after);
    }
  }

  /**
   * Present on the older side only.
   *
   * @param before the resource as it was on the older side
   */
  record Removed(Resource before) implements Change {
    /** Validates. */
    public Removed {
      Objects.requireNonNull(before, "before");
    }

    @Override
    public String key() {
      return before.key();
    }

    @Override
    public Change mirror() {
      return new Added(before);
    }
  }

  /**
   * Present on both sides with different documents.
   *
   * @param before the older side
   * @param after the newer side
   */
  record Changed(Resource before, Resource after) implements Change {
    /** Validates. */
    public Changed {
      Objects.requireNonNull(before, "before");
      Objects.requireNonNull(after, "after");
      if (!before.key().equals(after.key())) {
        throw new IllegalArgumentException("a change compares one key: " + before.key() + " vs " + after.key());
      }
    }

    @Override
    public String key() {
      return before.key();
    }

    @Override
    public Change mirror() {
      return new Changed(after, before);
    }
  }
}

package io.snapshotkit.fs;

/**
 * Counts of a streamed diff.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param added paths only the newer side has
 * @param removed paths only the older side has
 * @param modified paths whose content or link target differs
 * @param typeChanged paths whose type differs
 * @param modeChanged paths whose metadata alone differs: mode bits or owner ({@link FileChange.Kind#MODE_CHANGED})
 * @param partial whether a side was a partial snapshot, so some differences may be missing
 */
public record DiffSummary(long added, long removed, long modified, long typeChanged, long modeChanged,
    boolean partial) {
  /** Total differences. */
  public long total() {
    return added + removed + modified + typeChanged + modeChanged;
  }
}

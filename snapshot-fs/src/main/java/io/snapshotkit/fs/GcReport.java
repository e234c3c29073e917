package io.snapshotkit.fs;

/**
 * What a garbage collection did.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param snapshots manifests whose content was kept
 * @param contentsRemoved stored contents no snapshot referenced, now removed
 * @param bytesReclaimed bytes freed on disk
 */
public record GcReport(long snapshots, long contentsRemoved, long bytesReclaimed) {}

/**
 * The repository on disk: the content store (small contents packed, large ones loose, both
 * zstd-compressed and addressed by SHA-256 {@link io.snapshotkit.fs.internal.repo.Digest}), the
 * per-snapshot manifest files ({@link io.snapshotkit.fs.internal.repo.ManifestFile}) and their
 * summaries, the tracked-volume registry, snapshot diffs, and maintenance (gc, check). {@link
 * io.snapshotkit.fs.internal.repo.FsRepository} is the entry point; it holds the repository lock.
 *
 * <p><b>Stability:</b> internal, not API; not exported by the module and may change in any release.
 */
package io.snapshotkit.fs.internal.repo;

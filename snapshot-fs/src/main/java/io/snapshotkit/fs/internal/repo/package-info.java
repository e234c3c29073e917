/**
 * The repository on disk: the content store (small contents packed, large ones loose, both
 * zstd-compressed and addressed by SHA-256 {@link io.snapshotkit.fs.internal.repo.Digest}), the
 * content-addressed directory trees ({@link io.snapshotkit.fs.internal.repo.TreeReader}, built by
 * {@code TreeBuilder}) and each snapshot's root file ({@code RootFile}), the tracked-volume registry, snapshot diffs, and maintenance (gc, check). {@link
 * io.snapshotkit.fs.internal.repo.FsRepository} is the entry point; it holds the repository lock.
 *
 * <p><b>Stability:</b> internal, not API; not exported by the module and may change in any release.
 */
package io.snapshotkit.fs.internal.repo;

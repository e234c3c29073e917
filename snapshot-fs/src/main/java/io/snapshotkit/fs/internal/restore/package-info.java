/**
 * Restore: {@link io.snapshotkit.fs.internal.restore.RestorePlanner} resolves a request, {@link
 * io.snapshotkit.fs.internal.restore.Preflight} checks it touching nothing, then either {@link
 * io.snapshotkit.fs.internal.restore.AdditiveRestore} creates what is missing or {@link
 * io.snapshotkit.fs.internal.restore.ReplaceRestore} stages, journals ({@link
 * io.snapshotkit.fs.internal.restore.Journal}) and swaps, with {@link
 * io.snapshotkit.fs.internal.restore.Recovery} rolling an interrupted replace back or forward.
 * {@link io.snapshotkit.fs.internal.restore.Restorer} assembles them from one set of settings.
 *
 * <p><b>Stability:</b> internal, not API; not exported by the module and may change in any release.
 */
package io.snapshotkit.fs.internal.restore;

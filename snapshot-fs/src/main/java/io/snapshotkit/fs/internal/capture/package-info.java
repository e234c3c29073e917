/**
 * Capture: {@link io.snapshotkit.fs.internal.capture.Capture} walks the volumes of a workload with a
 * {@link io.snapshotkit.fs.internal.capture.Scanner}, which reads, hashes and stores only files
 * whose stat changed since the parent snapshot (the incremental cache is the parent snapshot's trees),
 * and commits the new snapshot (trees and root file) through the repository.
 *
 * <p><b>Stability:</b> internal, not API; not exported by the module and may change in any release.
 */
package io.snapshotkit.fs.internal.capture;

/**
 * The {@code tar.zst} archive behind {@link io.snapshotkit.fs.SnapshotArchive}: the archive
 * manifest ({@link io.snapshotkit.fs.internal.archive.TarManifest}), the writer ({@link
 * io.snapshotkit.fs.internal.archive.TarExport}), the hostile-input reader ({@link
 * io.snapshotkit.fs.internal.archive.TarImport}), and the bridge that exports a stored snapshot
 * and imports an archive as one ({@link io.snapshotkit.fs.internal.archive.RepositoryArchive}).
 *
 * <p><b>Stability:</b> internal, not API; not exported by the module and may change in any release.
 */
package io.snapshotkit.fs.internal.archive;

/**
 * The file-level rules every part of the filesystem agent applies when it touches a path: names
 * as raw bytes ({@link io.snapshotkit.fs.internal.files.RawNames}), the tree writer that lets
 * nothing escape its root through links, dot-dot segments or special files ({@link
 * io.snapshotkit.fs.internal.files.SafeTree}), atomic fsynced writes and renames ({@link
 * io.snapshotkit.fs.internal.files.AtomicFiles}), and ordered parallel work ({@link
 * io.snapshotkit.fs.internal.files.OrderedWork}). Used by the repository, capture, restore and
 * archive parts alike, which is why its classes are public.
 *
 * <p><b>Stability:</b> internal, not API; not exported by the module and may change in any release.
 */
package io.snapshotkit.fs.internal.files;

/**
 * The storage interface of the directory agent's repository: {@link
 * io.snapshotkit.fs.store.ObjectStore}, a flat namespace of write-once objects. The agent keeps
 * its repository in a local directory by default; a module such as {@code snapshot-s3} implements
 * this interface to keep it in a bucket, and {@link io.snapshotkit.fs.FsHostAgent.Builder#objectStore}
 * takes it.
 */
package io.snapshotkit.fs.store;

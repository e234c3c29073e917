/**
 * The directory agent: {@link io.snapshotkit.fs.FsHostAgent} and its public values. Only {@code
 * io.snapshotkit.fs} and the storage interface {@code io.snapshotkit.fs.store} are exported; every {@code io.snapshotkit.fs.internal} package stays internal.
 */
module io.snapshotkit.fs {
  requires transitive io.snapshotkit.api;
  requires org.slf4j;
  requires org.apache.commons.compress;
  requires com.github.luben.zstd_jni;
  requires com.github.benmanes.caffeine;

  exports io.snapshotkit.fs;
  exports io.snapshotkit.fs.store;
}

/**
 * A consumer of SnapshotKit on the module path, compiled and run by ModulePathIT. It names only
 * the three library modules; the API module, Jackson, SQLite, zstd-jni and Commons Compress
 * must come in through their requires.
 */
module snapshotkit.smoke {
  requires io.snapshotkit.core;
  requires io.snapshotkit.jdbc;
  requires io.snapshotkit.fs;
}

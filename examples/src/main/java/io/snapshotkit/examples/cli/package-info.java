/**
 * The {@code snapshotkit} command-line tool: SnapshotKit on SQLite (metadata) and the
 * {@code snapshot-fs} directory agent (files), in one home directory. Start at {@link
 * io.snapshotkit.examples.cli.Main}; everything else here is package-private.
 */
package io.snapshotkit.examples.cli;

/**
 * A JDBI-backed {@link io.snapshotkit.spi.ManifestStore} for SQLite, H2 and PostgreSQL.
 *
 * <p><b>Stability:</b> public API.
 */
package io.snapshotkit.jdbc;

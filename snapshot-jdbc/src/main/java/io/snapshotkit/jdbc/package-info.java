/**
 * A {@link io.snapshotkit.spi.ManifestStore} (with its {@link io.snapshotkit.spi.EventOutbox}),
 * a {@link io.snapshotkit.spi.BlobStore}, a {@link io.snapshotkit.spi.HostDirectory} with heartbeats
 * ({@link io.snapshotkit.jdbc.JdbcHostRegistry}) and a PostgreSQL advisory-lock
 * {@link io.snapshotkit.spi.WorkloadLock} on JDBC, for SQLite (the embedded default), H2 and
 * PostgreSQL.
 *
 * <p>Start with {@link io.snapshotkit.jdbc.JdbcManifestStore#sqlite(java.nio.file.Path)}; in
 * production point {@link io.snapshotkit.jdbc.JdbcManifestStore#postgres(javax.sql.DataSource)} at
 * a pooled data source shared by every engine instance, and lock workloads across instances with
 * {@link io.snapshotkit.jdbc.PostgresWorkloadLock}. Schema migrations ship as SQL resources under
 * {@code io/snapshotkit/jdbc/<dialect>/} and run at start-up unless the application opts out.
 *
 * <p><b>Stability:</b> public API: {@code JdbcManifestStore}, its builder, {@code Dialect},
 * {@code JdbcBlobStore}, {@code JdbcHostRegistry} and {@code PostgresWorkloadLock}. Every other class is package-private.
 */
package io.snapshotkit.jdbc;

/**
 * Service provider interfaces: what an application or framework author implements to plug
 * SnapshotKit into a platform.
 *
 * <ul>
 *   <li>{@link io.snapshotkit.spi.HostDirectory} and {@link io.snapshotkit.spi.HostAgent}: which
 *       hosts exist and each host's data plane (capture, describe, restore, delete, size).
 *   <li>{@link io.snapshotkit.spi.Lifecycle}: quiesce and resume a running workload.
 *   <li>{@link io.snapshotkit.spi.WorkloadLock}: the per-workload lock held across quiesce → work → resume.
 *   <li>{@link io.snapshotkit.spi.ManifestStore}, {@link io.snapshotkit.spi.EventOutbox} and
 *       {@link io.snapshotkit.spi.BlobStore}: durable, transactional metadata.
 *   <li>{@link io.snapshotkit.spi.EventHook}: receives snapshot events, at least once.
 * </ul>
 *
 * <p>Every method states its <b>Threading</b>, <b>Idempotency</b> and <b>Failure</b> contract.
 * Optional capabilities are separate small interfaces ({@link io.snapshotkit.spi.HostDiff}).
 * {@link io.snapshotkit.spi.StoreChecks} holds the argument checks every store and outbox makes.
 * The contract test suites in {@code snapshot-testkit} prove an implementation.
 *
 * <p><b>Stability:</b> public SPI. Methods may gain {@code default} siblings in minor releases.
 */
package io.snapshotkit.spi;

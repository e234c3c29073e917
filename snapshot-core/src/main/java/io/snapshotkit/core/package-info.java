/**
 * The snapshot engine. {@link io.snapshotkit.core.SnapshotEngine} is the entry point.
 *
 * <p><b>Stability:</b> public API.
 */
package io.snapshotkit.core;

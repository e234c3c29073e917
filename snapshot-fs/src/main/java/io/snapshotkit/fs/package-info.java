/**
 * A {@link io.snapshotkit.spi.HostAgent} for directories on the local filesystem.
 *
 * <p><b>Stability:</b> public API.
 */
package io.snapshotkit.fs;

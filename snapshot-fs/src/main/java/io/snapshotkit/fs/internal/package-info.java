/**
 * Implementation of the filesystem agent shared across its packages.
 *
 * <p><b>Stability:</b> internal. Nothing here is API; it may change in any release.
 */
package io.snapshotkit.fs.internal;

/**
 * Helpers shared by the CLI and the REST example (JSON shapes). Internal: not a supported API,
 * may change in any release.
 */
package io.snapshotkit.examples.internal;

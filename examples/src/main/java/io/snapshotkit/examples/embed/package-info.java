/**
 * The smallest complete embedding of SnapshotKit: one class, {@link
 * io.snapshotkit.examples.embed.EmbeddingExample}, to read top to bottom.
 */
package io.snapshotkit.examples.embed;

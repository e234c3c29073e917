/**
 * SnapshotKit's API: the value types and {@link io.snapshotkit.SnapshotException} in {@code
 * io.snapshotkit}, and the SPIs in {@code io.snapshotkit.spi}.
 *
 * <p>Jackson databind is required transitively: {@link io.snapshotkit.Manifest} and {@link
 * io.snapshotkit.Resource} carry Jackson {@code JsonNode} trees in their public signatures.
 */
module io.snapshotkit.api {
  requires transitive com.fasterxml.jackson.databind;

  exports io.snapshotkit;
  exports io.snapshotkit.spi;
}

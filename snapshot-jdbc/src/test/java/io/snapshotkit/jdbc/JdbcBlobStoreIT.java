package io.snapshotkit.jdbc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.snapshotkit.spi.BlobStore;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The blob store for large manifests, on every dialect. */
@DisplayName("JdbcBlobStore")
class JdbcBlobStoreIT {
  @TempDir
  Path dir;

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("put, get, replace and delete round-trip bytes exactly; missing keys are empty and deleting them is harmless")
  void roundTrip(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir)) {
      BlobStore blobs = db.builder().build().blobStore();
      byte[] large = new byte[3 * 1024 * 1024];
      new SplittableRandom(7).nextBytes(large);

      assertEquals(Optional.empty(), blobs.get("manifests/a"));
      blobs.put("manifests/a", large);
      assertArrayEquals(large, blobs.get("manifests/a").orElseThrow());
      blobs.put("manifests/a", large);
      assertArrayEquals(large, blobs.get("manifests/a").orElseThrow(), "putting the same bytes twice is harmless");
      blobs.put("manifests/a", new byte[] {9});
      assertArrayEquals(new byte[] {9}, blobs.get("manifests/a").orElseThrow(), "the latest put wins");
      blobs.delete("manifests/a");
      assertEquals(Optional.empty(), blobs.get("manifests/a"));
      blobs.delete("manifests/a");
      blobs.delete("never-there");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("callers cannot change stored bytes through the arrays they pass or receive")
  void noAliasing(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir)) {
      BlobStore blobs = db.builder().build().blobStore();
      byte[] data = {1, 2, 3};
      blobs.put("k", data);
      data[0] = 42;
      byte[] read = blobs.get("k").orElseThrow();
      read[1] = 42;
      assertArrayEquals(new byte[] {1, 2, 3}, blobs.get("k").orElseThrow());
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Dialect.class)
  @DisplayName("empty and over-long keys are rejected before touching the database")
  void badKeys(Dialect dialect) {
    try (TestDatabase db = TestDatabase.create(dialect, dir)) {
      BlobStore blobs = db.builder().build().blobStore();
      assertThrows(IllegalArgumentException.class, () -> blobs.put("", new byte[0]));
      assertThrows(IllegalArgumentException.class, () -> blobs.get("x".repeat(JdbcBlobStore.MAX_KEY_LENGTH + 1)));
      assertThrows(NullPointerException.class, () -> blobs.delete(null));
    }
  }
}

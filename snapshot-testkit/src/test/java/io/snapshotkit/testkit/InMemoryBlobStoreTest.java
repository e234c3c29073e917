package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.SnapshotException;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class InMemoryBlobStoreTest {
  private final InMemoryBlobStore blobs = new InMemoryBlobStore();

  @Test
  @DisplayName("put, get and delete round-trip copies of the bytes")
  void roundTrip() {
    byte[] data = {1, 2, 3};
    blobs.put("m/1", data);
    data[0] = 9;
    byte[] read = blobs.get("m/1").orElseThrow();
    assertArrayEquals(new byte[] {1, 2, 3}, read);
    read[1] = 9;
    assertArrayEquals(new byte[] {1, 2, 3}, blobs.get("m/1").orElseThrow());
    assertEquals(Set.of("m/1"), blobs.keys());
    blobs.delete("m/1");
    blobs.delete("m/1");
    assertEquals(Optional.empty(), blobs.get("m/1"));
  }

  @Test
  @DisplayName("failPuts and failGets make calls throw until switched off; a failed put stores nothing")
  void failures() {
    blobs.failPuts(true);
    assertThrows(SnapshotException.class, () -> blobs.put("k", new byte[] {1}));
    assertEquals(Set.of(), blobs.keys());
    blobs.failPuts(false);
    blobs.put("k", new byte[] {1});
    blobs.failGets(true);
    assertThrows(SnapshotException.class, () -> blobs.get("k"));
    blobs.failGets(false);
    assertTrue(blobs.get("k").isPresent());
  }

  @Test
  @DisplayName("lose deletes a blob behind the engine's back")
  void lose() {
    blobs.put("k", new byte[] {1});
    assertTrue(blobs.lose("k"));
    assertFalse(blobs.lose("k"));
    assertEquals(Optional.empty(), blobs.get("k"));
  }
}

package io.snapshotkit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import java.io.OutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The engine's browse calls around the agent: who may look, at what, and an agent that cannot browse. */
@DisplayName("SnapshotEngine.stat/listFiles/read/dump")
class BrowseTest {

  @Test
  @DisplayName("an agent without HostBrowse is INVALID_ARGUMENT saying to restore instead; another tenant's snapshot NOT_FOUND; a negative offset INVALID_ARGUMENT")
  void refusals() throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot s = f.capture();
      SnapshotException cannot = assertThrows(SnapshotException.class,
          () -> f.engine.dump(Fixture.ACME, s.id(), "data/a.txt", OutputStream.nullOutputStream()));
      assertEquals(ErrorCode.INVALID_ARGUMENT, cannot.code());
      assertTrue(cannot.getMessage().contains("does not implement HostBrowse") && cannot.getMessage().contains("restore"),
          cannot.getMessage());
      assertEquals(s.id(), cannot.snapshotId().orElseThrow());

      SnapshotException other = assertThrows(SnapshotException.class,
          () -> f.engine.listFiles(Fixture.GLOBEX, s.id(), "", e -> { }));
      assertEquals(ErrorCode.NOT_FOUND, other.code());

      SnapshotException negative = assertThrows(SnapshotException.class,
          () -> f.engine.read(Fixture.ACME, s.id(), "data/a.txt", -1, 10, OutputStream.nullOutputStream()));
      assertEquals(ErrorCode.INVALID_ARGUMENT, negative.code());
      assertThrows(NullPointerException.class, () -> f.engine.stat(Fixture.ACME, s.id(), null));
    }
  }
}

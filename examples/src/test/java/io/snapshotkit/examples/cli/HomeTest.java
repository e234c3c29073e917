package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Home directory resolution: --home, then SNAPSHOTKIT_HOME, then ~/.snapshotkit. */
class HomeTest {
  @TempDir Path tmp;

  @Test
  void theOptionWinsOverTheEnvironment() {
    Home h = Home.resolve(Optional.of(tmp.resolve("a").toString()), Map.of(Home.ENV, tmp.resolve("b").toString()), "/u");
    assertEquals(tmp.resolve("a"), h.dir());
    assertEquals("--home", h.source());
  }

  @Test
  void theEnvironmentWinsOverTheDefault() {
    Home h = Home.resolve(Optional.empty(), Map.of(Home.ENV, tmp.resolve("b").toString()), "/u");
    assertEquals(tmp.resolve("b"), h.dir());
    assertEquals(Home.ENV, h.source());
  }

  @Test
  void theDefaultIsDotSnapshotkitInTheUsersHome() {
    Home h = Home.resolve(Optional.empty(), Map.of(Home.ENV, "  "), tmp.toString());
    assertEquals(tmp.resolve(".snapshotkit"), h.dir());
    assertEquals(tmp.resolve(".snapshotkit/snapshotkit.db"), h.database());
    assertEquals(tmp.resolve(".snapshotkit/repository"), h.repository());
  }

  @Test
  void aLeadingTildeIsTheUsersHome() {
    assertEquals(tmp.resolve("snaps"), Home.resolve(Optional.empty(), Map.of(Home.ENV, "~/snaps"), tmp.toString()).dir());
    assertEquals(tmp, Home.resolve(Optional.of("~"), Map.of(), tmp.toString()).dir());
  }

  @Test
  void relativePathsBecomeAbsolute() {
    assertTrue(Home.resolve(Optional.of("rel/dir"), Map.of(), "/u").dir().isAbsolute());
  }

  @Test
  void anEmptyOptionIsRefused() {
    SnapshotException e = assertThrows(SnapshotException.class, () -> Home.resolve(Optional.of(" "), Map.of(), "/u"));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
  }

  @Test
  void anUninitialisedHomeSaysToRunInit() throws IOException {
    Home h = Home.resolve(Optional.of(tmp.toString()), Map.of(), "/u");
    assertFalse(h.initialized());
    SnapshotException e = assertThrows(SnapshotException.class, h::requireInitialized);
    assertEquals(ErrorCode.NOT_FOUND, e.code());
    assertTrue(e.getMessage().contains("snapshotkit init"), e.getMessage());
    Files.createDirectories(h.repository());
    Files.createFile(h.database());
    h.requireInitialized();
  }
}

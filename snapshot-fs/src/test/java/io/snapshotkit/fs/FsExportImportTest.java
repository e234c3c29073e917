package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.RestoreRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A snapshot moves between hosts: exported from one repository as tar.zst, imported into another. */
class FsExportImportTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "app");
  private static final SnapshotId ID = SnapshotId.generate(Instant.parse("2026-03-01T00:00:00Z"), new SplittableRandom(3));
  @TempDir Path dir;

  private Path volume(String name) throws IOException {
    Path v = dir.resolve("live").resolve(name);
    Trees.write(v.resolve("a.txt"), "alpha " + name);
    Trees.write(v.resolve("sub/deep/b.bin"), new byte[] {0, 1, 2, 3});
    byte[] big = new byte[(1 << 20) + 17];
    new SplittableRandom(5).nextBytes(big);
    Trees.write(v.resolve("big.bin"), big);
    Files.createDirectories(v.resolve("empty"));
    Files.createSymbolicLink(v.resolve("link"), Path.of("sub/deep/b.bin"));
    Files.setPosixFilePermissions(v.resolve("a.txt"), PosixFilePermissions.fromString("rw-r-----"));
    return v;
  }

  @Test
  @DisplayName("export from one host and import into another gives the same snapshot: same manifest, same restored tree")
  void roundTrip() throws IOException {
    Path data = volume("data");
    Path logs = volume("logs");
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    CaptureResult captured;
    try (FsHostAgent source = FsHostAgent.rootedAt(dir.resolve("repo-a"))) {
      source.track(W, Map.of("data", data, "logs", logs));
      captured = source.capture(new CaptureRequest(W, ID, Optional.empty(), Optional.empty(), false));
      SnapshotArchive.Header header = source.exportSnapshot(W, ID, archive);
      assertEquals(List.of("data", "logs"), header.volumes());
      assertEquals(Optional.of(ID), header.snapshotId());
    }
    try (FsHostAgent target = FsHostAgent.rootedAt(dir.resolve("repo-b"))) {
      Manifest imported = target.importSnapshot(W, ID, new ByteArrayInputStream(archive.toByteArray()),
          SnapshotArchive.Limits.defaults());
      assertEquals(captured.manifest().families(), imported.families());
      assertEquals(captured.manifest().capturedAt(), imported.capturedAt());
      assertEquals(List.of(ID), target.snapshots(W));
      Path out = dir.resolve("restored");
      target.restore(new RestoreRequest(W, ID, imported, RestoreMode.REPLACE, Optional.of(out.toString()), List.of()));
      assertEquals(Trees.state(data, true), Trees.state(out.resolve("data"), true));
      assertEquals(Trees.state(logs, true), Trees.state(out.resolve("logs"), true));
      assertTrue(target.check(false).ok());
      assertEquals(ErrorCode.CONFLICT, assertThrows(SnapshotException.class, () -> target.importSnapshot(W, ID,
          new ByteArrayInputStream(archive.toByteArray()), SnapshotArchive.Limits.defaults())).code());
    }
  }

  @Test
  @DisplayName("a damaged archive is refused as INVALID_ARGUMENT and stores nothing; the repository's tmp is left empty")
  void damagedArchiveStoresNothing() throws IOException {
    Path data = volume("data");
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    try (FsHostAgent source = FsHostAgent.rootedAt(dir.resolve("repo-a"))) {
      source.track(W, Map.of("data", data));
      source.capture(new CaptureRequest(W, ID, Optional.empty(), Optional.empty(), false));
      source.exportSnapshot(W, ID, archive);
    }
    byte[] truncated = Arrays.copyOf(archive.toByteArray(), archive.size() / 2);
    try (FsHostAgent target = FsHostAgent.rootedAt(dir.resolve("repo-b"))) {
      SnapshotException e = assertThrows(SnapshotException.class, () -> target.importSnapshot(W, ID,
          new ByteArrayInputStream(truncated), SnapshotArchive.Limits.defaults()));
      assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
      assertEquals(List.of(), target.snapshots(W));
      try (var left = Files.list(dir.resolve("repo-b/tmp"))) {
        assertEquals(0, left.count());
      }
    }
  }

  @Test
  @DisplayName("openSnapshot streams verified entries that ingest stores as the same snapshot elsewhere")
  void openSnapshotThenIngest() throws IOException {
    Path data = volume("data");
    try (FsHostAgent source = FsHostAgent.rootedAt(dir.resolve("repo-a"));
        FsHostAgent target = FsHostAgent.rootedAt(dir.resolve("repo-b"))) {
      source.track(W, Map.of("data", data));
      CaptureResult captured = source.capture(new CaptureRequest(W, ID, Optional.empty(), Optional.empty(), false));
      Manifest ingested;
      try (SnapshotReader reader = RepositoryStreams.openSnapshot(source.repository(), W, ID)) {
        assertEquals(captured.manifest().families(), reader.manifest().families());
        ingested = RepositoryStreams.ingest(target.repository(), W, ID, captured.manifest().capturedAt(), false, reader);
      }
      assertEquals(captured.manifest().families(), ingested.families());
      Path out = dir.resolve("restored");
      target.restore(new RestoreRequest(W, ID, ingested, RestoreMode.ADDITIVE, Optional.of(out.toString()), List.of()));
      assertEquals(Trees.state(data, true), Trees.state(out.resolve("data"), true));
    }
  }

  @Test
  @DisplayName("ingest refuses an unsafe path or entries out of order as INVALID_ARGUMENT and stores nothing")
  void ingestRefusesHostileEntries() {
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    FileEntry dirEntry = new FileEntry("data", "a", FileType.DIRECTORY, 0755, 0, t, Optional.empty(), Optional.empty());
    FileEntry escape = new FileEntry("data", "../outside", FileType.DIRECTORY, 0755, 0, t, Optional.empty(),
        Optional.empty());
    FileEntry earlier = new FileEntry("data", "0-first", FileType.DIRECTORY, 0755, 0, t, Optional.empty(),
        Optional.empty());
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      for (List<FileEntry> bad : List.of(List.of(escape), List.of(dirEntry, earlier))) {
        SnapshotException e = assertThrows(SnapshotException.class, () -> RepositoryStreams.ingest(agent.repository(), W, ID, t, false,
            bad.stream().map(FsExportImportTest::withoutContent).iterator()));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
        assertEquals(List.of(), agent.snapshots(W));
      }
    }
  }

  private static FsEntry withoutContent(FileEntry e) {
    return new FsEntry() {
      @Override
      public FileEntry entry() {
        return e;
      }

      @Override
      public java.io.InputStream content() {
        throw new IllegalStateException("a directory has no content");
      }
    };
  }

  @Test
  @DisplayName("export of a snapshot this host does not hold is NOT_FOUND")
  void exportUnknown() {
    try (FsHostAgent agent = FsHostAgent.rootedAt(dir.resolve("repo"))) {
      assertEquals(ErrorCode.NOT_FOUND, assertThrows(SnapshotException.class,
          () -> agent.exportSnapshot(W, ID, new ByteArrayOutputStream())).code());
    }
  }
}

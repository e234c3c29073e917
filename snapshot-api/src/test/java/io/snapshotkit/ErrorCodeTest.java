package io.snapshotkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ErrorCodeTest {

  private static final Map<ErrorCode, Integer> EXPECTED = Map.of(
      ErrorCode.NOT_FOUND, 404,
      ErrorCode.INVALID_ARGUMENT, 400,
      ErrorCode.FORBIDDEN, 403,
      ErrorCode.CONFLICT, 409,
      ErrorCode.QUOTA_EXCEEDED, 429,
      ErrorCode.HOST_UNAVAILABLE, 503,
      ErrorCode.CORRUPT, 500,
      ErrorCode.INSUFFICIENT_STORAGE, 507,
      ErrorCode.INTERNAL, 500);

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  @DisplayName("every error code maps to its one HTTP status")
  void everyCodeMapsToOneStatus(ErrorCode code) {
    assertEquals(EXPECTED.get(code), code.httpStatus(), code.name());
  }

  @Test
  @DisplayName("the status table covers every code")
  void tableCoversEveryCode() {
    assertEquals(ErrorCode.values().length, EXPECTED.size());
  }

  @Test
  @DisplayName("an exception keeps its context in fields, not only in the message")
  void exceptionCarriesContext() {
    WorkloadRef w = WorkloadRef.of("acme", "ws-1");
    SnapshotId id = SnapshotId.parse("01HZY3J9W8X5V6T7R8Q9P0N1M2");
    SnapshotException e = new SnapshotException(ErrorCode.CONFLICT, "hosts h2, h3 refused the delete; retry when they are online")
        .withWorkload(w).withSnapshot(id).withFailedHosts(List.of("h2", "h3"));
    assertEquals(ErrorCode.CONFLICT, e.code());
    assertEquals(w, e.workload().orElseThrow());
    assertEquals(TenantId.of("acme"), e.tenant().orElseThrow());
    assertEquals(id, e.snapshotId().orElseThrow());
    assertEquals(List.of("h2", "h3"), e.failedHosts());
  }

  @Test
  @DisplayName("wrap turns a full disk or an exceeded quota into INSUFFICIENT_STORAGE that says so, not INTERNAL")
  void wrapReportsAFullDiskAsInsufficientStorage() {
    java.nio.file.FileSystemException enospc =
        new java.nio.file.FileSystemException("/data/x.bin", null, "No space left on device");
    SnapshotException full = SnapshotException.wrap("restoring data:x.bin", new java.io.UncheckedIOException(
        new java.io.IOException("write failed", enospc)));
    assertEquals(ErrorCode.INSUFFICIENT_STORAGE, full.code());
    assertTrue(full.getMessage().contains("the filesystem is full (No space left on device: /data/x.bin)"),
        full.getMessage());
    assertTrue(full.getMessage().contains("free some space"), full.getMessage());
    assertTrue(!full.getMessage().contains("maintainers"), full.getMessage());
    SnapshotException quota = SnapshotException.wrap("capture", new java.io.IOException("Disk quota exceeded"));
    assertEquals(ErrorCode.INSUFFICIENT_STORAGE, quota.code());
    assertTrue(quota.getMessage().contains("quota"), quota.getMessage());
    assertTrue(SnapshotException.outOfSpace(new java.io.IOException("Permission denied")).isEmpty());
  }

  @Test
  @DisplayName("wrap keeps a SnapshotException and turns anything else into INTERNAL with the cause")
  void wrapKeepsOrWraps() {
    SnapshotException original = SnapshotException.notFound("no such snapshot");
    assertSame(original, SnapshotException.wrap("capture", original));
    IllegalStateException bug = new IllegalStateException("boom");
    SnapshotException wrapped = SnapshotException.wrap("capture on host h1", bug);
    assertEquals(ErrorCode.INTERNAL, wrapped.code());
    assertSame(bug, wrapped.getCause());
    assertTrue(wrapped.getMessage().startsWith("capture on host h1 failed"));
  }
}

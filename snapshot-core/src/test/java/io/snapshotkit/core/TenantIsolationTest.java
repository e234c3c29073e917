package io.snapshotkit.core;

import static io.snapshotkit.core.Fixture.GLOBEX;
import static io.snapshotkit.core.Fixture.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.WorkloadRef;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Tenant isolation")
class TenantIsolationTest {

  /** The same workload id under the other tenant. */
  private static final WorkloadRef THEIRS = WorkloadRef.of(GLOBEX, W.id());

  /** Each public operation, called by tenant GLOBEX on ACME's snapshots (v1 and v2). */
  static Stream<Arguments> operations() {
    List<Arguments> ops = List.of(
        op("get", (e, s) -> e.get(GLOBEX, s[0].id())),
        op("diff from", (e, s) -> e.diff(GLOBEX, s[0].id(), s[1].id())),
        op("diffCurrent", (e, s) -> e.diffCurrent(GLOBEX, s[0].id())),
        op("restore additive", (e, s) -> e.restore(GLOBEX, s[0].id(), RestoreSpec.additive())),
        op("restore replace", (e, s) -> e.restore(GLOBEX, s[0].id(), RestoreSpec.replace())),
        op("delete", (e, s) -> e.delete(GLOBEX, s[0].id())),
        op("protect", (e, s) -> e.protect(GLOBEX, s[0].id(), true)),
        op("version", (e, s) -> e.version(THEIRS, 1)),
        op("rollback", (e, s) -> e.rollback(THEIRS, 1)),
        op("rollback without pre-restore snapshot", (e, s) -> e.rollback(THEIRS, 1, false)));
    return ops.stream();
  }

  private static Arguments op(String name, BiConsumer<SnapshotEngine, Snapshot[]> call) {
    return Arguments.of(name, call);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("operations")
  @DisplayName("another tenant's snapshot is NOT_FOUND, never FORBIDDEN, and nothing changes")
  void otherTenantIsNotFound(String name, BiConsumer<SnapshotEngine, Snapshot[]> call) throws Exception {
    try (Fixture f = Fixture.create()) {
      Snapshot[] mine = {f.capture(), f.capture()};
      int calls = f.lifecycle.quiesceCount();
      SnapshotException e = assertThrows(SnapshotException.class, () -> call.accept(f.engine, mine));
      assertEquals(ErrorCode.NOT_FOUND, e.code(), name + ": " + e.getMessage());
      assertEquals(calls, f.lifecycle.quiesceCount());
      for (Snapshot s : mine) {
        assertEquals(s, f.row(s.id()));
        assertEquals(SnapshotStatus.READY, f.row(s.id()).status());
      }
      assertEquals(0, f.engine.list(io.snapshotkit.SnapshotQuery.of(GLOBEX)).items().size());
      assertEquals(0, f.engine.versions(THEIRS).size());
      assertEquals(0, f.engine.usageBytes(GLOBEX));
    }
  }
}

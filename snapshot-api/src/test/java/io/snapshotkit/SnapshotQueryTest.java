package io.snapshotkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("SnapshotQuery label filter")
class SnapshotQueryTest {
  private static final TenantId TENANT = TenantId.of("acme");

  private static Snapshot labelled(Map<String, String> labels) {
    return Snapshot.capturing(SnapshotId.generate(Instant.EPOCH, new SplittableRandom(1)), WorkloadRef.of(TENANT, "w"),
        "", Trigger.MANUAL, Optional.empty(), Instant.EPOCH, Optional.empty(), labels);
  }

  @Test
  @DisplayName("KEY=VALUE splits at the first '=': the value may hold '=' or be empty")
  void pairSplitsAtFirstEquals() {
    assertEquals(Map.of("a", "b=c"), SnapshotQuery.of(TENANT).label("a=b=c").labels());
    assertEquals(Map.of("a", ""), SnapshotQuery.of(TENANT).label("a=").labels());
    assertEquals(Map.of("a", "1", "b", "2"), SnapshotQuery.of(TENANT).label("a=1").label("b=2").labels());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "novalue", "=value", "="})
  @DisplayName("a malformed pair is INVALID_ARGUMENT saying how to write one")
  void malformedPairInvalid(String pair) {
    SnapshotException e = assertThrows(SnapshotException.class, () -> SnapshotQuery.of(TENANT).label(pair));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("KEY=VALUE"), e.getMessage());
  }

  @Test
  @DisplayName("an empty key or more than MAX_LABELS pairs is INVALID_ARGUMENT")
  void limitsChecked() {
    assertEquals(ErrorCode.INVALID_ARGUMENT,
        assertThrows(SnapshotException.class, () -> SnapshotQuery.of(TENANT).labels(Map.of("", "x"))).code());
    Map<String, String> many = new HashMap<>();
    for (int i = 0; i <= SnapshotQuery.MAX_LABELS; i++) {
      many.put("k" + i, "v");
    }
    SnapshotException e = assertThrows(SnapshotException.class, () -> SnapshotQuery.of(TENANT).labels(many));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertThrows(NullPointerException.class, () -> SnapshotQuery.of(TENANT).label(null, "v"));
  }

  @Test
  @DisplayName("matches needs every pair with exactly its value; the old six-argument constructor filters by none")
  void matchesEveryPair() {
    Snapshot s = labelled(Map.of("env", "prod", "team", "a"));
    assertTrue(SnapshotQuery.of(TENANT).label("env", "prod").matches(s));
    assertTrue(SnapshotQuery.of(TENANT).label("env", "prod").label("team", "a").matches(s));
    assertFalse(SnapshotQuery.of(TENANT).label("env", "prod").label("team", "b").matches(s));
    assertFalse(SnapshotQuery.of(TENANT).label("env", "pro").matches(s));
    assertFalse(SnapshotQuery.of(TENANT).label("zone", "").matches(s));
    SnapshotQuery old = new SnapshotQuery(TENANT, Optional.empty(), Set.of(), Set.of(), 10, Optional.empty());
    assertEquals(Map.of(), old.labels());
    assertTrue(old.matches(s));
  }
}

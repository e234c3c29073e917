package io.snapshotkit.core.events;

import io.snapshotkit.EventType;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.EventHook;
import io.snapshotkit.testkit.InMemoryManifestStore;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;

/** Events and wiring shared by the dispatcher tests. Not a fake: it only builds values. */
public final class EventFixtures {
  /** Runs every delivery on the calling thread, so {@code pollOnce()} is fully synchronous. */
  public static final Executor DIRECT = Runnable::run;

  private EventFixtures() {}

  /** The workload {@code acme/<id>}. */
  public static WorkloadRef workload(String id) {
    return WorkloadRef.of("acme", id);
  }

  /** An event with a unique id {@code <workload>#<n>}, happening at {@code at}. */
  public static SnapshotEvent event(WorkloadRef workload, int n, Instant at) {
    return new SnapshotEvent(workload.id() + "#" + n, EventType.CREATED, workload, Optional.empty(), n, at,
        Map.of("n", Integer.toString(n)));
  }

  /** Appends each event in its own committed store transaction, like the engine does per state change. */
  public static void append(InMemoryManifestStore store, SnapshotEvent... events) {
    for (SnapshotEvent e : events) {
      store.inTransaction(tx -> {
        tx.append(e);
        return null;
      });
    }
  }

  /** An ordered name → hook map. */
  public static Map<String, EventHook> hooks(Object... nameThenHook) {
    Map<String, EventHook> out = new LinkedHashMap<>();
    for (int i = 0; i < nameThenHook.length; i += 2) {
      out.put((String) nameThenHook[i], (EventHook) nameThenHook[i + 1]);
    }
    return out;
  }
}

package io.snapshotkit.jdbc;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.spi.Delivery;
import io.snapshotkit.spi.EventOutbox;
import io.snapshotkit.spi.ParkedEvent;
import io.snapshotkit.spi.StartPosition;
import io.snapshotkit.spi.StoreChecks;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@link EventOutbox} in the store's database.
 *
 * <p>Tables: {@code sk_event} (the events, {@code seq} increasing in commit order per workload),
 * {@code sk_hook} (registered hooks), {@code sk_delivery} (one row per hook and event: PENDING,
 * DONE or PARKED, with attempts and retry time) and {@code sk_claim} (one row per hook and
 * workload: who holds the claim on which event until when). Appends write the delivery rows for
 * every registered hook, so "the first undone event of a workload for a hook" is the lowest
 * PENDING sequence of that hook and workload.
 *
 * <p>Claiming locks the claim row of each candidate workload (on PostgreSQL with
 * {@code FOR UPDATE SKIP LOCKED}, so concurrent dispatchers pass over each other's work instead of
 * waiting), then re-reads the workload's first pending event under that lock, so an event
 * acknowledged a moment ago is never handed out again and one hook never gets two events of one
 * workload at once.
 *
 * <p><b>Threading:</b> thread-safe; safe across engine instances sharing one database.
 */
final class JdbcOutbox implements EventOutbox {
  private static final int MAX_HOOK_NAME = 200;

  private final JdbcManifestStore store;

  JdbcOutbox(JdbcManifestStore store) {
    this.store = store;
  }

  @Override
  public void register(String hook, StartPosition start) {
    StoreChecks.register(hook, start);
    if (hook.length() > MAX_HOOK_NAME) {
      throw new IllegalArgumentException("a hook name has at most " + MAX_HOOK_NAME + " characters: " + hook);
    }
    store.transaction("registering hook " + hook, tx -> tx.run("registering hook " + hook, () -> {
      Handle h = tx.handle();
      Sql.lockOutbox(h, tx.dialect(), true);
      if (hookExists(h, hook)) {
        return null;
      }
      int ordinal = h.createQuery("SELECT COALESCE(MAX(ordinal), 0) + 1 FROM sk_hook").mapTo(Integer.class).one();
      long last = h.createQuery("SELECT COALESCE(MAX(seq), 0) FROM sk_event").mapTo(Long.class).one();
      h.createUpdate("INSERT INTO sk_hook (name, ordinal, start_seq) VALUES (:h, :o, :s)")
          .bind("h", hook).bind("o", ordinal).bind("s", start == StartPosition.NOW ? last : 0L).execute();
      if (start == StartPosition.BEGINNING) {
        h.createUpdate("INSERT INTO sk_delivery (hook, seq, tenant, workload, state, attempts) "
                + "SELECT CAST(:h AS VARCHAR(200)), seq, tenant, workload, 'PENDING', 0 FROM sk_event")
            .bind("h", hook).execute();
        h.createUpdate("INSERT INTO sk_claim (hook, tenant, workload) "
                + "SELECT DISTINCT CAST(:h AS VARCHAR(200)), tenant, workload FROM sk_event")
            .bind("h", hook).execute();
      }
      return null;
    }));
  }

  @Override
  public List<Delivery> claim(String hook, String owner, int max, Instant now, Duration lease) {
    return claimRuns(hook, owner, max, 1, now, lease);
  }

  @Override
  public List<Delivery> claimRuns(String hook, String owner, int max, int perWorkload, Instant now, Duration lease) {
    StoreChecks.claimRuns(hook, owner, max, perWorkload, now, lease);
    long nowNanos = Codec.nanos(now);
    long until = Codec.boundNanos(now.plus(lease));
    return store.transaction("claiming events for hook " + hook, tx -> tx.run("claiming events for hook " + hook, () -> {
      Handle h = tx.handle();
      requireHook(h, hook);
      // One index probe per claimable workload (its lowest PENDING sequence), not a scan of every
      // pending delivery of the hook: the backlog does not make each poll slower.
      List<Head> heads = h.createQuery("SELECT c.tenant, c.workload, (SELECT MIN(d.seq) FROM sk_delivery d "
              + "WHERE d.hook = c.hook AND d.state = 'PENDING' AND d.tenant = c.tenant AND d.workload = c.workload) "
              + "AS head FROM sk_claim c WHERE c.hook = :h "
              + "AND (c.owner IS NULL OR c.owner = :o OR c.lease_until IS NULL OR c.lease_until <= :n)")
          .bind("h", hook).bind("o", owner).bind("n", nowNanos)
          .map(rs -> {
            long head = rs.getLong("head");
            return new Head(rs.getString("tenant"), rs.getString("workload"), rs.wasNull() ? -1L : head);
          })
          .list();
      List<Head> ordered = new ArrayList<>();
      for (Head head : heads) {
        if (head.seq() >= 0) {
          ordered.add(head);
        }
      }
      ordered.sort(Comparator.comparingLong(Head::seq));
      List<Delivery> out = new ArrayList<>();
      for (Head head : ordered) {
        if (out.size() == max) {
          break;
        }
        int room = Math.min(perWorkload, max - out.size());
        out.addAll(claimWorkload(h, tx.dialect(), hook, owner, head, room, nowNanos, until));
      }
      out.sort(Comparator.comparingLong(Delivery::sequence));
      return out;
    }));
  }

  /** Claims up to {@code room} first pending events of one workload for a hook, if nobody else holds it. */
  private static List<Delivery> claimWorkload(
      Handle h, Dialect dialect, String hook, String owner, Head head, int room, long now, long until) {
    Optional<Holder> holder = h.createQuery("SELECT owner, lease_until FROM sk_claim "
            + "WHERE hook = :h AND tenant = :t AND workload = :w" + Sql.claimLock(dialect))
        .bind("h", hook).bind("t", head.tenant()).bind("w", head.workload())
        .map(rs -> {
          long leaseUntil = rs.getLong("lease_until");
          return new Holder(rs.getString("owner"), rs.wasNull() ? Long.MIN_VALUE : leaseUntil);
        })
        .findOne();
    if (holder.isEmpty()) {
      return List.of(); // another dispatcher is claiming this workload right now
    }
    Holder held = holder.get();
    if (held.owner() != null && !held.owner().equals(owner) && held.leaseUntil() > now) {
      return List.of();
    }
    // Re-read under the claim-row lock: an acknowledgement committed since the candidate query counts.
    List<Pending> pending = h.createQuery("SELECT d.seq, d.attempts, d.not_before, e.event_id, e.type, e.tenant, "
            + "e.workload, e.snapshot_id, e.version, e.at_nanos, e.metadata "
            + "FROM sk_delivery d JOIN sk_event e ON e.seq = d.seq "
            + "WHERE d.hook = :h AND d.tenant = :t AND d.workload = :w AND d.state = 'PENDING' "
            + "ORDER BY d.seq LIMIT :k")
        .bind("h", hook).bind("t", head.tenant()).bind("w", head.workload()).bind("k", room)
        .map(rs -> {
          long notBefore = rs.getLong("not_before");
          boolean waiting = !rs.wasNull() && notBefore > now;
          return new Pending(new Delivery(rs.getLong("seq"), Sql.event(rs), rs.getInt("attempts")), waiting);
        })
        .list();
    List<Delivery> run = new ArrayList<>();
    for (Pending p : pending) {
      if (p.waiting()) {
        break; // a failed event waits for its retry time, and everything after it waits with it
      }
      run.add(p.delivery());
    }
    if (run.isEmpty()) {
      return List.of();
    }
    h.createUpdate("UPDATE sk_claim SET owner = :o, seq = :s, lease_until = :u "
            + "WHERE hook = :h AND tenant = :t AND workload = :w")
        .bind("o", owner).bind("s", run.get(run.size() - 1).sequence()).bind("u", until)
        .bind("h", hook).bind("t", head.tenant()).bind("w", head.workload())
        .execute();
    return run;
  }

  @Override
  public void acknowledgeAll(String hook, List<Long> sequences) {
    Objects.requireNonNull(hook, "hook");
    Objects.requireNonNull(sequences, "sequences");
    if (sequences.isEmpty()) {
      return;
    }
    List<Long> seqs = List.copyOf(sequences);
    // The store runs without a template engine, so the IN list is spelled out as named parameters.
    StringBuilder in = new StringBuilder();
    for (int i = 0; i < seqs.size(); i++) {
      in.append(i == 0 ? ":s" : ", :s").append(i);
    }
    String what = "acknowledging " + seqs.size() + " events for hook " + hook;
    store.transaction(what, tx -> tx.run(what, () -> {
      Handle h = tx.handle();
      requireHook(h, hook);
      var done = h.createUpdate("UPDATE sk_delivery SET state = 'DONE', not_before = NULL "
          + "WHERE hook = :h AND seq IN (" + in + ") AND state <> 'DONE'").bind("h", hook);
      var release = h.createUpdate("UPDATE sk_claim SET owner = NULL, seq = NULL, lease_until = NULL "
          + "WHERE hook = :h AND seq IN (" + in + ")").bind("h", hook);
      for (int i = 0; i < seqs.size(); i++) {
        done.bind("s" + i, seqs.get(i).longValue());
        release.bind("s" + i, seqs.get(i).longValue());
      }
      done.execute();
      release.execute();
      return null;
    }));
  }

  @Override
  public void acknowledge(String hook, long sequence) {
    Objects.requireNonNull(hook, "hook");
    settle("acknowledging event " + sequence + " for hook " + hook, hook, sequence, false,
        "UPDATE sk_delivery SET state = 'DONE', not_before = NULL WHERE hook = :h AND seq = :s AND state <> 'DONE'",
        null);
  }

  @Override
  public void retryLater(String hook, long sequence, int attempts, Instant notBefore, String error) {
    Objects.requireNonNull(hook, "hook");
    Objects.requireNonNull(notBefore, "notBefore");
    Objects.requireNonNull(error, "error");
    long at = Codec.boundNanos(notBefore);
    settle("scheduling a retry of event " + sequence + " for hook " + hook, hook, sequence, true,
        "UPDATE sk_delivery SET attempts = :a, not_before = :nb, last_error = :e "
            + "WHERE hook = :h AND seq = :s AND state = 'PENDING'",
        u -> u.bind("a", attempts).bind("nb", at).bind("e", error));
  }

  @Override
  public void park(String hook, long sequence, int attempts, String error, Instant now) {
    Objects.requireNonNull(hook, "hook");
    Objects.requireNonNull(error, "error");
    Objects.requireNonNull(now, "now");
    long at = Codec.nanos(now);
    settle("parking event " + sequence + " for hook " + hook, hook, sequence, true,
        "UPDATE sk_delivery SET state = 'PARKED', attempts = :a, last_error = :e, parked_at = :p, not_before = NULL "
            + "WHERE hook = :h AND seq = :s AND state = 'PENDING'",
        u -> u.bind("a", attempts).bind("e", error).bind("p", at));
  }

  /** Updates one delivery row and releases the hook's claim on that event. */
  private void settle(String what, String hook, long sequence, boolean failed, String update,
      java.util.function.Consumer<Update> binder) {
    store.transaction(what, tx -> tx.run(what, () -> {
      Handle h = tx.handle();
      requireHook(h, hook);
      Optional<String[]> workload = h.createQuery("SELECT tenant, workload FROM sk_event WHERE seq = :s")
          .bind("s", sequence)
          .map(rs -> new String[] {rs.getString("tenant"), rs.getString("workload")})
          .findOne();
      if (workload.isEmpty()) {
        if (failed) {
          throw new SnapshotException(ErrorCode.NOT_FOUND,
              "no outbox event with sequence " + sequence + "; it may have been pruned");
        }
        return null;
      }
      var u = h.createUpdate(update).bind("h", hook).bind("s", sequence);
      if (binder != null) {
        binder.accept(u);
      }
      u.execute();
      // An acknowledgement releases a claim that ends at this event; a failure (retry, park) also
      // one whose run goes on past it, because the rest of the run must wait behind it.
      h.createUpdate("UPDATE sk_claim SET owner = NULL, seq = NULL, lease_until = NULL "
              + "WHERE hook = :h AND tenant = :t AND workload = :w AND seq " + (failed ? ">=" : "=") + " :s")
          .bind("h", hook).bind("t", workload.get()[0]).bind("w", workload.get()[1]).bind("s", sequence)
          .execute();
      return null;
    }));
  }

  @Override
  public List<ParkedEvent> parked(String hook) {
    Objects.requireNonNull(hook, "hook");
    return store.read("listing parked events of hook " + hook, h -> {
      requireHook(h, hook);
      return h.createQuery("SELECT e.seq, e.event_id, e.type, e.tenant, e.workload, e.snapshot_id, e.version, "
              + "e.at_nanos, e.metadata, d.attempts, d.last_error, d.parked_at "
              + "FROM sk_delivery d JOIN sk_event e ON e.seq = d.seq "
              + "WHERE d.hook = :h AND d.state = 'PARKED' ORDER BY d.seq")
          .bind("h", hook)
          .map(rs -> {
            String error = rs.getString("last_error");
            return new ParkedEvent(hook, rs.getLong("seq"), Sql.event(rs), rs.getInt("attempts"),
                error == null ? "" : error, Codec.instant(rs.getLong("parked_at")));
          })
          .list();
    });
  }

  @Override
  public boolean replay(String hook, long sequence) {
    Objects.requireNonNull(hook, "hook");
    String what = "replaying event " + sequence + " for hook " + hook;
    return store.transaction(what, tx -> tx.run(what, () -> {
      Handle h = tx.handle();
      requireHook(h, hook);
      return h.createUpdate("UPDATE sk_delivery SET state = 'PENDING', attempts = 0, not_before = NULL, "
              + "last_error = NULL, parked_at = NULL WHERE hook = :h AND seq = :s AND state = 'PARKED'")
          .bind("h", hook).bind("s", sequence).execute() == 1;
    }));
  }

  @Override
  public int prune(Instant before) {
    Objects.requireNonNull(before, "before");
    long cutoff = Codec.boundNanos(before);
    return store.transaction("pruning the outbox", tx -> tx.run("pruning the outbox", () -> {
      Handle h = tx.handle();
      Sql.lockOutbox(h, tx.dialect(), true);
      int removed = h.createUpdate("DELETE FROM sk_event WHERE at_nanos < :b AND NOT EXISTS "
              + "(SELECT 1 FROM sk_delivery d WHERE d.seq = sk_event.seq AND d.state <> 'DONE')")
          .bind("b", cutoff).execute();
      if (removed > 0) {
        h.createUpdate("DELETE FROM sk_delivery WHERE state = 'DONE' AND NOT EXISTS "
            + "(SELECT 1 FROM sk_event e WHERE e.seq = sk_delivery.seq)").execute();
      }
      return removed;
    }));
  }

  @Override
  public List<String> hooks() {
    return store.read("listing hooks", h -> h.createQuery("SELECT name FROM sk_hook ORDER BY ordinal")
        .mapTo(String.class).list());
  }

  private static boolean hookExists(Handle h, String hook) {
    return h.createQuery("SELECT COUNT(*) FROM sk_hook WHERE name = :h").bind("h", hook).mapTo(Long.class).one() > 0;
  }

  private static void requireHook(Handle h, String hook) {
    if (!hookExists(h, hook)) {
      throw new SnapshotException(ErrorCode.NOT_FOUND,
          "hook '" + hook + "' is not registered; call register(hook, StartPosition) first");
    }
  }

  private record Head(String tenant, String workload, long seq) {}

  private record Holder(String owner, long leaseUntil) {}

  private record Pending(Delivery delivery, boolean waiting) {}
}

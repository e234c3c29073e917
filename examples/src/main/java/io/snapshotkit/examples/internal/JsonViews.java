package io.snapshotkit.examples.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotkit.Change;
import io.snapshotkit.DiffResult;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.FamilyDiff;
import io.snapshotkit.FamilyRestore;
import io.snapshotkit.Page;
import io.snapshotkit.RestoreFailure;
import io.snapshotkit.RestoreReport;
import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.ScheduleState;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotFile;
import io.snapshotkit.SnapshotEvent;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.core.RetentionResult;
import io.snapshotkit.core.ScheduleReport;
import io.snapshotkit.core.ScheduleRun;
import io.snapshotkit.core.SweepReport;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The JSON shapes the CLI's {@code --json} output and the REST example share, so that a script
 * written against one reads the other. Field names are camelCase and stable; absent values are
 * {@code null}, never omitted, so consumers can rely on every key being present.
 *
 * <p>Internal to the examples: not a supported API.
 *
 * <p><b>Thread-safety:</b> stateless and thread-safe.
 */
public final class JsonViews {
  private JsonViews() {}

  /**
   * The mapper both front ends use to read and write JSON: sorted map keys, indented only when
   * asked for. Built on first use: a command that only builds nodes, and prints tables, never
   * pays for it (a fifth of a short command's start-up).
   */
  public static ObjectMapper mapper() {
    return Mapper.INSTANCE;
  }

  /** A new empty JSON object, made without the {@link #mapper()}. */
  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  /** A new empty JSON array, made without the {@link #mapper()}. */
  public static ArrayNode array() {
    return JsonNodeFactory.instance.arrayNode();
  }

  /** Holds the mapper, built when {@link #mapper()} is first called. */
  private static final class Mapper {
    static final ObjectMapper INSTANCE = JsonMapper.builder()
        .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
        .build();
  }

  /**
   * One entry inside a snapshot: {@code path, name, type} (file, directory, symlink), {@code size},
   * {@code mode} (octal text, such as "644"), {@code modified}, and {@code target} for a symlink.
   */
  public static ObjectNode file(SnapshotFile f) {
    ObjectNode n = object();
    n.put("path", f.path());
    n.put("name", f.name());
    n.put("type", f.type().name().toLowerCase(java.util.Locale.ROOT));
    n.put("size", f.size());
    n.put("mode", Integer.toOctalString(f.mode()));
    n.put("modified", f.modified().toString());
    f.linkTarget().ifPresent(t -> n.put("target", t));
    return n;
  }

  /** One snapshot's metadata, with {@code origin} (source snapshot id and workload) when it was forked. */
  public static ObjectNode snapshot(Snapshot s, Optional<SnapshotOrigin> origin) {
    ObjectNode n = snapshot(s);
    origin.ifPresent(o -> {
      ObjectNode from = n.putObject("origin");
      from.put("snapshot", o.snapshot().value());
      from.put("workload", o.workload().id());
    });
    return n;
  }

  /** One snapshot's metadata. */
  public static ObjectNode snapshot(Snapshot s) {
    Objects.requireNonNull(s, "s");
    ObjectNode n = object();
    n.put("id", s.id().value());
    n.put("tenant", s.tenant().value());
    n.put("workload", s.workload().id());
    n.put("version", s.version());
    n.put("name", s.name());
    n.put("displayName", s.displayName());
    n.put("trigger", s.trigger().value());
    n.put("status", s.status().name());
    n.put("parent", s.parent().map(SnapshotId::value).orElse(null));
    n.put("createdAt", s.createdAt().toString());
    n.put("expiresAt", s.expiresAt().map(Object::toString).orElse(null));
    if (s.sizeBytes().isPresent()) {
      n.put("sizeBytes", s.sizeBytes().getAsLong());
    } else {
      n.putNull("sizeBytes");
    }
    n.put("partial", s.partial());
    n.put("protected", s.isProtected());
    ObjectNode labels = n.putObject("labels");
    s.labels().forEach(labels::put);
    n.put("host", s.host().orElse(null));
    if (s.manifest().isPresent()) {
      ObjectNode m = n.putObject("manifest");
      m.put("external", s.manifest().get().external());
      m.put("bytes", s.manifest().get().bytes());
      ObjectNode counts = m.putObject("counts");
      s.manifest().get().counts().forEach(counts::put);
    } else {
      n.putNull("manifest");
    }
    n.put("failure", s.failure().orElse(null));
    return n;
  }

  /** A list of snapshots. */
  public static ArrayNode snapshots(Collection<Snapshot> list) {
    ArrayNode a = array();
    list.forEach(s -> a.add(snapshot(s)));
    return a;
  }

  /** A page of snapshots: {@code {"items": [...], "nextCursor": id|null}}. */
  public static ObjectNode page(Page<Snapshot> page) {
    ObjectNode n = object();
    n.set("items", snapshots(page.items()));
    n.put("nextCursor", page.nextCursor().map(SnapshotId::value).orElse(null));
    return n;
  }

  /** A diff, with every change and both sides of a changed resource. */
  public static ObjectNode diff(DiffResult d) {
    ObjectNode n = object();
    n.put("from", d.from().value());
    n.put("to", d.to().map(SnapshotId::value).orElse(null));
    n.put("against", d.to().isPresent() ? "snapshot" : "current");
    n.put("empty", d.isEmpty());
    n.put("degraded", d.degraded());
    ArrayNode problems = n.putArray("problems");
    d.problems().forEach(problems::add);
    n.put("changes", d.size());
    ObjectNode families = n.putObject("families");
    for (Map.Entry<String, FamilyDiff> e : d.families().entrySet()) {
      ObjectNode f = families.putObject(e.getKey());
      f.put("added", e.getValue().added());
      f.put("removed", e.getValue().removed());
      f.put("changed", e.getValue().changed());
      ArrayNode items = f.putArray("items");
      for (Change c : e.getValue().changes()) {
        ObjectNode item = items.addObject();
        item.put("kind", kind(c));
        item.put("key", c.key());
        if (c instanceof Change.Added a) {
          item.set("after", a.after().document());
        } else if (c instanceof Change.Removed r) {
          item.set("before", r.before().document());
        } else if (c instanceof Change.Changed ch) {
          item.set("before", ch.before().document());
          item.set("after", ch.after().document());
        }
      }
    }
    return n;
  }

  /** The lower-case kind of a change: added, removed or changed. */
  public static String kind(Change c) {
    if (c instanceof Change.Added) {
      return "added";
    }
    if (c instanceof Change.Removed) {
      return "removed";
    }
    return "changed";
  }

  /** What a restore or rollback did. */
  public static ObjectNode restore(RestoreReport r) {
    ObjectNode n = object();
    n.put("snapshot", r.snapshot().value());
    n.put("mode", r.mode().name());
    n.put("created", r.created());
    n.put("skipped", r.skipped());
    n.put("hasErrors", r.hasErrors());
    ObjectNode families = n.putObject("families");
    for (Map.Entry<String, FamilyRestore> e : r.families().entrySet()) {
      ObjectNode f = families.putObject(e.getKey());
      f.put("created", e.getValue().created());
      f.put("skipped", e.getValue().skipped());
      ArrayNode errors = f.putArray("errors");
      e.getValue().errors().forEach(errors::add);
      f.set("failures", failures(e.getValue().failures()));
    }
    n.put("complete", !r.hasErrors());
    n.put("failureCode", r.failureCode().map(ErrorCode::name).orElse(null));
    n.set("failures", failures(r.failures()));
    ArrayNode unsupported = n.putArray("unsupportedFamilies");
    r.unsupportedFamilies().forEach(unsupported::add);
    n.put("partialSnapshot", r.partialSnapshot());
    n.put("preRestoreSnapshot", r.preRestoreSnapshot().map(SnapshotId::value).orElse(null));
    n.put("redeployFailed", r.redeployFailed());
    ArrayNode warnings = n.putArray("warnings");
    r.warnings().forEach(warnings::add);
    return n;
  }

  /** Each resource a restore could not write: {resource, reason, code}. */
  private static ArrayNode failures(List<RestoreFailure> failures) {
    ArrayNode out = array();
    for (RestoreFailure f : failures) {
      ObjectNode o = out.addObject();
      o.put("resource", f.resource());
      o.put("reason", f.reason());
      o.put("code", f.code().name());
    }
    return out;
  }

  /** What a retention run kept and deleted. */
  public static ObjectNode retention(String workload, RetentionResult r) {
    ObjectNode n = object();
    n.put("workload", workload);
    n.put("dryRun", r.dryRun());
    n.set("kept", ids(r.kept()));
    n.set("deleted", ids(r.deleted()));
    ObjectNode failed = n.putObject("failed");
    r.failed().forEach((id, why) -> failed.put(id.value(), why));
    return n;
  }

  /**
   * A stored schedule: {@code workload}, {@code cron} or {@code every} (ISO-8601), {@code jitter},
   * {@code retention} (null for none), {@code lastSlot}, {@code runs}, {@code skips} and
   * {@code nextDue} (null when the cron expression matches no later date).
   */
  public static ObjectNode schedule(ScheduleState s, Optional<Instant> nextDue) {
    ObjectNode n = object();
    n.put("workload", s.workload().id());
    s.schedule().cron().ifPresent(c -> n.put("cron", c));
    s.schedule().interval().ifPresent(d -> n.put("every", d.toString()));
    n.put("jitter", s.schedule().jitter().toString());
    if (s.schedule().retention().isPresent()) {
      n.set("retention", retentionPolicy(s.schedule().retention().get()));
    } else {
      n.putNull("retention");
    }
    n.put("lastSlot", s.lastSlot().toString());
    n.put("runs", s.runs());
    n.put("skips", s.skips());
    if (nextDue.isPresent()) {
      n.put("nextDue", nextDue.get().toString());
    } else {
      n.putNull("nextDue");
    }
    return n;
  }

  /** A retention policy's rules that are on: keepLast, hourly, daily, weekly, monthly, yearly, within. */
  public static ObjectNode retentionPolicy(RetentionPolicy p) {
    ObjectNode n = object();
    putPositive(n, "keepLast", p.keepLast());
    putPositive(n, "hourly", p.keepHourly());
    putPositive(n, "daily", p.keepDaily());
    putPositive(n, "weekly", p.keepWeekly());
    putPositive(n, "monthly", p.keepMonthly());
    putPositive(n, "yearly", p.keepYearly());
    p.keepWithin().ifPresent(d -> n.put("within", d.toString()));
    return n;
  }

  private static void putPositive(ObjectNode n, String field, int value) {
    if (value > 0) {
      n.put(field, value);
    }
  }

  /** What one schedule run did: one entry per claimed slot. */
  public static ArrayNode scheduleReport(ScheduleReport r) {
    ArrayNode a = array();
    for (ScheduleRun run : r.runs()) {
      ObjectNode n = a.addObject();
      n.put("workload", run.workload().id());
      n.put("slot", run.slot().toString());
      n.put("outcome", run.outcome().name());
      n.put("caughtUp", run.caughtUp());
      run.snapshot().ifPresent(s -> n.put("snapshot", s.id().value()).put("version", s.version()));
      run.retention().ifPresent(rr -> n.set("retention", retention(run.workload().id(), rr)));
      run.failure().ifPresent(f -> n.set("failure", error(f)));
    }
    return a;
  }

  /** What an expiry sweep deleted. */
  public static ObjectNode sweep(SweepReport r) {
    ObjectNode n = object();
    n.set("deleted", ids(r.deleted()));
    ObjectNode failed = n.putObject("failed");
    r.failed().forEach((id, why) -> failed.put(id.value(), why));
    return n;
  }

  /** One event. */
  public static ObjectNode event(SnapshotEvent e) {
    ObjectNode n = object();
    n.put("id", e.id());
    n.put("type", e.type().wireName());
    n.put("tenant", e.tenant().value());
    n.put("workload", e.workload().id());
    n.put("snapshot", e.snapshotId().map(SnapshotId::value).orElse(null));
    n.put("version", e.version());
    n.put("at", e.at().toString());
    ObjectNode meta = n.putObject("metadata");
    e.metadata().forEach(meta::put);
    return n;
  }

  /**
   * An error body: {@code {"error": CODE, "message": ..., "failedHosts": [...]}}. The message is
   * the exception's, which by contract never echoes manifest contents.
   */
  public static ObjectNode error(SnapshotException e) {
    ObjectNode n = error(e.code(), e.getMessage());
    ArrayNode hosts = n.putArray("failedHosts");
    e.failedHosts().forEach(hosts::add);
    return n;
  }

  /** An error body from a code and a message. */
  public static ObjectNode error(ErrorCode code, String message) {
    return error(code.name(), message);
  }

  /** An error body from a code word (also used for HTTP-level errors such as UNAUTHENTICATED). */
  public static ObjectNode error(String code, String message) {
    ObjectNode n = object();
    n.put("error", code);
    n.put("message", message);
    return n;
  }

  /** Serialises compactly. */
  public static byte[] bytes(Object node) {
    try {
      return mapper().writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw SnapshotException.wrap("writing JSON", e);
    }
  }

  /** Serialises with indentation, for people. */
  public static String pretty(Object node) {
    try {
      return mapper().writerWithDefaultPrettyPrinter().writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw SnapshotException.wrap("writing JSON", e);
    }
  }

  private static ArrayNode ids(List<SnapshotId> ids) {
    ArrayNode a = array();
    ids.forEach(id -> a.add(id.value()));
    return a;
  }
}

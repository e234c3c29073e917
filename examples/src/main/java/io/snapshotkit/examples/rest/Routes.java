package io.snapshotkit.examples.rest;

import static io.snapshotkit.examples.rest.JsonBodies.body;
import static io.snapshotkit.examples.rest.JsonBodies.fields;
import static io.snapshotkit.examples.rest.JsonBodies.flag;
import static io.snapshotkit.examples.rest.JsonBodies.labels;
import static io.snapshotkit.examples.rest.JsonBodies.strings;
import static io.snapshotkit.examples.rest.JsonBodies.text;
import static io.snapshotkit.examples.rest.RequestUrls.listQuery;
import static io.snapshotkit.examples.rest.RequestUrls.query;
import static io.snapshotkit.examples.rest.RequestUrls.queryValues;
import static io.snapshotkit.examples.rest.RequestUrls.segments;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import io.snapshotkit.DiffResult;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.Excludes;
import io.snapshotkit.RestoreReport;
import io.snapshotkit.ScheduleState;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.TenantId;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.core.CaptureSpec;
import io.snapshotkit.core.ForkOptions;
import io.snapshotkit.core.PendingCapture;
import io.snapshotkit.core.RestoreSpec;
import io.snapshotkit.core.Schedules;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.examples.internal.JsonViews;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes requests to the engine and maps results and failures to HTTP. One instance serves every
 * request; it holds no per-request state. It is handed requests whose body {@link Intake} has
 * already read, on the executor's threads.
 *
 * <p><b>Thread-safety:</b> thread-safe (stateless apart from immutable collaborators).
 */
final class Routes {
  private static final Logger log = LoggerFactory.getLogger(Routes.class);
  /** Triggers the engine itself uses; a client may not claim them. */
  private static final Set<Trigger> ENGINE_TRIGGERS = Set.of(Trigger.PRE_RESTORE, Trigger.ROLLBACK, Trigger.FORK);

  private final SnapshotEngine engine;
  private final BearerAuth auth;
  private final Optional<Supplier<String>> metrics;
  private final FileRoutes files;

  Routes(SnapshotEngine engine, BearerAuth auth, Optional<Supplier<String>> metrics) {
    this.engine = engine;
    this.auth = auth;
    this.metrics = metrics;
    this.files = new FileRoutes(engine);
  }

  /** Answers one request whose body (at most {@link Intake#MAX_BODY_BYTES}) has been read. */
  void handle(HttpExchange exchange, byte[] body) throws IOException {
    Response reply;
    try {
      reply = route(exchange, body);
    } catch (SnapshotException e) {
      if (e.code() == ErrorCode.INTERNAL) {
        log.error("{} {} failed unexpectedly", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e);
      }
      reply = new Response(e.code().httpStatus(), JsonViews.error(e));
    } catch (HttpFailure e) {
      if (e.status == 401) {
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
      }
      if (e.allow != null) {
        exchange.getResponseHeaders().set("Allow", e.allow);
      }
      reply = new Response(e.status, JsonViews.error(e.code, e.getMessage()));
    } catch (IllegalArgumentException e) {
      reply = new Response(400, JsonViews.error(ErrorCode.INVALID_ARGUMENT, e.getMessage()));
    } catch (RuntimeException e) {
      log.error("{} {} failed unexpectedly", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e);
      reply = new Response(500, JsonViews.error(ErrorCode.INTERNAL,
          "the server failed unexpectedly (" + e.getClass().getSimpleName() + "); see the server log"));
    }
    Response.send(exchange, reply);
  }

  private Response route(HttpExchange ex, byte[] rawBody) {
    List<String> path = segments(ex.getRequestURI().getRawPath());
    String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
    if (path.equals(List.of("metrics")) && metrics.isPresent()) {
      tenantOf(ex);
      allow(method, "GET", "GET");
      return new Response(200, null, metrics.get().get());
    }
    if (path.size() < 3 || !path.get(0).equals("v1")) {
      throw new HttpFailure(404, "NOT_FOUND", "no such route; see the routes table in examples/README.md");
    }
    TenantId tenant = tenantOf(ex);
    Map<String, String> query = query(ex.getRequestURI().getRawQuery());
    String collection = path.get(1);
    if (collection.equals("workloads") && path.size() == 4) {
      WorkloadRef workload = WorkloadRef.of(tenant, path.get(2));
      switch (path.get(3)) {
        case "snapshots":
          if (method.equals("GET")) {
            return Response.ok(JsonViews.page(engine.list(listQuery(workload, query,
                queryValues(ex.getRequestURI().getRawQuery(), "label")))));
          }
          allow(method, "POST", "GET, POST");
          return capture(workload, body(rawBody));
        case "versions":
          allow(method, "GET", "GET");
          return Response.ok(JsonViews.snapshots(engine.versions(workload)));
        case "rollback":
          allow(method, "POST", "POST");
          return rollback(workload, body(rawBody));
        case "schedule":
          return schedule(method, workload, rawBody);
        default:
          break;
      }
    } else if (collection.equals("snapshots") && path.size() >= 4 && path.get(3).equals("files")) {
      allow(method, "GET", "GET");
      FileRoutes.Download d = files.answer(ex, tenant, SnapshotId.parse(path.get(2)), path.subList(4, path.size()),
          query.getOrDefault("format", ""));
      return new Response(d.status(), null, null, d);
    } else if (collection.equals("snapshots") && (path.size() == 3 || path.size() == 4)) {
      SnapshotId id = SnapshotId.parse(path.get(2));
      if (path.size() == 3) {
        if (method.equals("DELETE")) {
          engine.delete(tenant, id);
          return new Response(204, null);
        }
        allow(method, "GET", "GET, DELETE");
        return Response.ok(JsonViews.snapshot(engine.get(tenant, id), engine.origin(tenant, id)));
      }
      switch (path.get(3)) {
        case "diff":
          allow(method, "GET", "GET");
          return Response.ok(JsonViews.diff(diff(tenant, id, query.getOrDefault("against", "current"))));
        case "restore":
          allow(method, "POST", "POST");
          return restore(tenant, id, body(rawBody));
        case "fork":
          allow(method, "POST", "POST");
          return fork(tenant, id, body(rawBody));
        default:
          break;
      }
    }
    throw new HttpFailure(404, "NOT_FOUND", "no such route; see the routes table in examples/README.md");
  }

  private Response capture(WorkloadRef workload, JsonNode body) {
    fields(body, "name", "trigger", "labels", "wait", "excludes");
    CaptureSpec spec = CaptureSpec.of(workload);
    if (body.hasNonNull("name")) {
      spec = spec.name(text(body, "name"));
    }
    if (body.hasNonNull("trigger")) {
      Trigger trigger = Trigger.of(text(body, "trigger"));
      if (ENGINE_TRIGGERS.contains(trigger)) {
        throw SnapshotException.invalid("trigger '" + trigger + "' is reserved for snapshots the engine takes itself; use 'manual' or your own word");
      }
      spec = spec.trigger(trigger);
    }
    spec = spec.labels(labels(body));
    Optional<List<String>> patterns = strings(body, "excludes", "gitignore-style patterns");
    if (patterns.isPresent()) {
      spec = spec.excludes(Excludes.of(patterns.get()));
    }
    boolean wait = flag(body, "wait", true);
    if (!wait) {
      PendingCapture pending = engine.startCapture(spec);
      return new Response(202, JsonViews.snapshot(pending.snapshot()));
    }
    Snapshot ready = engine.capture(spec);
    return new Response(201, JsonViews.snapshot(ready));
  }

  /** POST /v1/snapshots/{id}/fork: {@code workload} (required), {@code to}, {@code host}, {@code name}, {@code labels}. */
  private Response fork(TenantId tenant, SnapshotId id, JsonNode body) {
    fields(body, "workload", "to", "host", "name", "labels");
    if (!body.hasNonNull("workload")) {
      throw SnapshotException.invalid("'workload' is required: the new workload's id");
    }
    ForkOptions options = ForkOptions.defaults().labels(labels(body));
    if (body.hasNonNull("to")) {
      options = options.target(text(body, "to"));
    }
    if (body.hasNonNull("host")) {
      options = options.host(text(body, "host"));
    }
    if (body.hasNonNull("name")) {
      options = options.name(text(body, "name"));
    }
    Snapshot child = engine.fork(tenant, id, WorkloadRef.of(tenant, text(body, "workload")), options);
    return new Response(201, JsonViews.snapshot(child, engine.origin(tenant, child.id())));
  }

  /** GET, PUT (set or replace) and DELETE of the workload's schedule. */
  private Response schedule(String method, WorkloadRef workload, byte[] rawBody) {
    Schedules schedules = engine.schedules();
    switch (method) {
      case "GET": {
        ScheduleState s = schedules.get(workload).orElseThrow(() -> noSchedule(workload));
        return Response.ok(JsonViews.schedule(s, schedules.nextDue(s)));
      }
      case "PUT": {
        ScheduleState s = schedules.set(ScheduleBodies.parse(workload, body(rawBody)));
        return Response.ok(JsonViews.schedule(s, schedules.nextDue(s)));
      }
      case "DELETE":
        if (!schedules.remove(workload)) {
          throw noSchedule(workload);
        }
        return new Response(204, null);
      default:
        throw new HttpFailure(405, "METHOD_NOT_ALLOWED", "use GET, PUT, DELETE on this route", "GET, PUT, DELETE");
    }
  }

  private static SnapshotException noSchedule(WorkloadRef workload) {
    return SnapshotException.notFound("workload " + workload.id() + " has no schedule; PUT one first")
        .withWorkload(workload);
  }

  private Response rollback(WorkloadRef workload, JsonNode body) {
    fields(body, "version", "preRestoreSnapshot");
    JsonNode version = body.get("version");
    if (version == null || !version.canConvertToInt() || !version.isIntegralNumber()) {
      throw SnapshotException.invalid("send {\"version\": N} with the version to roll back to");
    }
    boolean safety = flag(body, "preRestoreSnapshot", true);
    RestoreReport report = engine.rollback(workload, version.asInt(), safety);
    return Response.ok(JsonViews.restore(report));
  }

  private Response restore(TenantId tenant, SnapshotId id, JsonNode body) {
    fields(body, "paths");
    RestoreSpec spec = RestoreSpec.additive();
    Optional<List<String>> paths = strings(body, "paths", "strings");
    if (paths.isPresent()) {
      spec = spec.paths(paths.get());
    }
    return Response.ok(JsonViews.restore(engine.restore(tenant, id, spec)));
  }

  private DiffResult diff(TenantId tenant, SnapshotId id, String against) {
    if (against.equals("current")) {
      return engine.diffCurrent(tenant, id);
    }
    SnapshotId other;
    try {
      other = SnapshotId.parse(against);
    } catch (SnapshotException e) {
      throw SnapshotException.invalid("'against' must be 'current' or a snapshot id");
    }
    return engine.diff(tenant, id, other);
  }

  /** The tenant of the request's bearer token; 401 without a token the server knows. */
  private TenantId tenantOf(HttpExchange ex) {
    return auth.tenantOf(ex.getRequestHeaders().getFirst("Authorization"))
        .orElseThrow(() -> new HttpFailure(401, "UNAUTHENTICATED",
            "send 'Authorization: Bearer <token>' with a token the server knows"));
  }

  private static void allow(String method, String expected, String allowed) {
    if (!method.equals(expected)) {
      throw new HttpFailure(405, "METHOD_NOT_ALLOWED", "use " + allowed + " on this route", allowed);
    }
  }
}

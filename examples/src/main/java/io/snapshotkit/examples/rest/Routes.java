package io.snapshotkit.examples.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.snapshotkit.DiffResult;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.Excludes;
import io.snapshotkit.RestoreReport;
import io.snapshotkit.ScheduleState;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
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
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
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

  /** The content type of Prometheus's text exposition format, version 0.0.4. */
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

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

  /** A response to send: status and JSON body (null for no body), a metrics text, or a streamed download. */
  private record Reply(int status, JsonNode body, String text, FileRoutes.Download download) {
    Reply(int status, JsonNode body, String text) {
      this(status, body, text, null);
    }

    Reply(int status, JsonNode body) {
      this(status, body, null);
    }

    static Reply ok(JsonNode body) {
      return new Reply(200, body);
    }
  }

  /** A failure at the HTTP layer that has no {@link ErrorCode}: 401, 404 route, 405. */
  private static final class HttpFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String code;
    /** For a 405: the methods the route takes, for the {@code Allow} header. */
    final String allow;

    HttpFailure(int status, String code, String message) {
      this(status, code, message, null);
    }

    HttpFailure(int status, String code, String message, String allow) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
      this.allow = allow;
    }
  }

  /** Answers one request whose body (at most {@link Intake#MAX_BODY_BYTES}) has been read. */
  void handle(HttpExchange exchange, byte[] body) throws IOException {
    Reply reply;
    try {
      reply = route(exchange, body);
    } catch (SnapshotException e) {
      if (e.code() == ErrorCode.INTERNAL) {
        log.error("{} {} failed unexpectedly", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e);
      }
      reply = new Reply(e.code().httpStatus(), JsonViews.error(e));
    } catch (HttpFailure e) {
      if (e.status == 401) {
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
      }
      if (e.allow != null) {
        exchange.getResponseHeaders().set("Allow", e.allow);
      }
      reply = new Reply(e.status, JsonViews.error(e.code, e.getMessage()));
    } catch (IllegalArgumentException e) {
      reply = new Reply(400, JsonViews.error(ErrorCode.INVALID_ARGUMENT, e.getMessage()));
    } catch (RuntimeException e) {
      log.error("{} {} failed unexpectedly", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e);
      reply = new Reply(500, JsonViews.error(ErrorCode.INTERNAL,
          "the server failed unexpectedly (" + e.getClass().getSimpleName() + "); see the server log"));
    }
    send(exchange, reply);
  }

  private Reply route(HttpExchange ex, byte[] rawBody) {
    List<String> path = segments(ex.getRequestURI().getRawPath());
    String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
    if (path.equals(List.of("metrics")) && metrics.isPresent()) {
      tenantOf(ex);
      allow(method, "GET", "GET");
      return new Reply(200, null, metrics.get().get());
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
            return Reply.ok(JsonViews.page(engine.list(listQuery(workload, query,
                queryValues(ex.getRequestURI().getRawQuery(), "label")))));
          }
          allow(method, "POST", "GET, POST");
          return capture(workload, body(rawBody));
        case "versions":
          allow(method, "GET", "GET");
          return Reply.ok(JsonViews.snapshots(engine.versions(workload)));
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
      return new Reply(d.status(), null, null, d);
    } else if (collection.equals("snapshots") && (path.size() == 3 || path.size() == 4)) {
      SnapshotId id = SnapshotId.parse(path.get(2));
      if (path.size() == 3) {
        if (method.equals("DELETE")) {
          engine.delete(tenant, id);
          return new Reply(204, null);
        }
        allow(method, "GET", "GET, DELETE");
        return Reply.ok(JsonViews.snapshot(engine.get(tenant, id)));
      }
      switch (path.get(3)) {
        case "diff":
          allow(method, "GET", "GET");
          return Reply.ok(JsonViews.diff(diff(tenant, id, query.getOrDefault("against", "current"))));
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

  private Reply capture(WorkloadRef workload, JsonNode body) {
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
      return new Reply(202, JsonViews.snapshot(pending.snapshot()));
    }
    Snapshot ready = engine.capture(spec);
    return new Reply(201, JsonViews.snapshot(ready));
  }

  /** The body's {@code labels} object of strings; empty when absent. */
  private static Map<String, String> labels(JsonNode body) {
    Map<String, String> map = new LinkedHashMap<>();
    if (!body.hasNonNull("labels")) {
      return map;
    }
    JsonNode labels = body.get("labels");
    if (!labels.isObject()) {
      throw SnapshotException.invalid("'labels' must be an object of strings");
    }
    for (Map.Entry<String, JsonNode> e : labels.properties()) {
      if (!e.getValue().isTextual()) {
        throw SnapshotException.invalid("label '" + e.getKey() + "' must be a string");
      }
      map.put(e.getKey(), e.getValue().asText());
    }
    return map;
  }

  /** POST /v1/snapshots/{id}/fork: {@code workload} (required), {@code to}, {@code host}, {@code name}, {@code labels}. */
  private Reply fork(TenantId tenant, SnapshotId id, JsonNode body) {
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
    return new Reply(201, JsonViews.snapshot(child));
  }

  /** GET, PUT (set or replace) and DELETE of the workload's schedule. */
  private Reply schedule(String method, WorkloadRef workload, byte[] rawBody) {
    Schedules schedules = engine.schedules();
    switch (method) {
      case "GET": {
        ScheduleState s = schedules.get(workload).orElseThrow(() -> noSchedule(workload));
        return Reply.ok(JsonViews.schedule(s, schedules.nextDue(s)));
      }
      case "PUT": {
        ScheduleState s = schedules.set(ScheduleBodies.parse(workload, body(rawBody)));
        return Reply.ok(JsonViews.schedule(s, schedules.nextDue(s)));
      }
      case "DELETE":
        if (!schedules.remove(workload)) {
          throw noSchedule(workload);
        }
        return new Reply(204, null);
      default:
        throw new HttpFailure(405, "METHOD_NOT_ALLOWED", "use GET, PUT, DELETE on this route", "GET, PUT, DELETE");
    }
  }

  private static SnapshotException noSchedule(WorkloadRef workload) {
    return SnapshotException.notFound("workload " + workload.id() + " has no schedule; PUT one first")
        .withWorkload(workload);
  }

  private Reply rollback(WorkloadRef workload, JsonNode body) {
    fields(body, "version", "preRestoreSnapshot");
    JsonNode version = body.get("version");
    if (version == null || !version.canConvertToInt() || !version.isIntegralNumber()) {
      throw SnapshotException.invalid("send {\"version\": N} with the version to roll back to");
    }
    boolean safety = flag(body, "preRestoreSnapshot", true);
    RestoreReport report = engine.rollback(workload, version.asInt(), safety);
    return Reply.ok(JsonViews.restore(report));
  }

  private Reply restore(TenantId tenant, SnapshotId id, JsonNode body) {
    fields(body, "paths");
    RestoreSpec spec = RestoreSpec.additive();
    Optional<List<String>> paths = strings(body, "paths", "strings");
    if (paths.isPresent()) {
      spec = spec.paths(paths.get());
    }
    return Reply.ok(JsonViews.restore(engine.restore(tenant, id, spec)));
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

  private static SnapshotQuery listQuery(WorkloadRef workload, Map<String, String> query, List<String> labels) {
    SnapshotQuery q = SnapshotQuery.of(workload);
    for (String pair : labels) {
      q = q.label(pair);
    }
    String limit = query.get("limit");
    if (limit != null) {
      try {
        q = q.limit(Integer.parseInt(limit));
      } catch (NumberFormatException e) {
        throw SnapshotException.invalid("'limit' must be a number from 1 to " + SnapshotQuery.MAX_LIMIT);
      }
    }
    String status = query.get("status");
    if (status != null) {
      Set<SnapshotStatus> statuses = new HashSet<>();
      for (String s : status.split(",")) {
        try {
          statuses.add(SnapshotStatus.valueOf(s.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw SnapshotException.invalid("unknown status '" + s + "'; use capturing, ready, failed or deleting");
        }
      }
      q = q.statuses(statuses);
    }
    String trigger = query.get("trigger");
    if (trigger != null) {
      Set<Trigger> triggers = new HashSet<>();
      for (String t : trigger.split(",")) {
        triggers.add(Trigger.of(t.trim()));
      }
      q = q.triggers(triggers);
    }
    String cursor = query.get("cursor");
    if (cursor != null) {
      q = q.after(SnapshotId.parse(cursor));
    }
    return q;
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

  /** Refuses a body field the route does not take (a typo would otherwise be silently ignored). */
  private static void fields(JsonNode body, String... known) {
    List<String> allowed = List.of(known);
    for (String name : (Iterable<String>) body::fieldNames) {
      if (!allowed.contains(name)) {
        throw SnapshotException.invalid("unknown field '" + name + "'; this route takes " + String.join(", ", allowed));
      }
    }
  }

  /** A boolean field, {@code otherwise} when absent or null. */
  private static boolean flag(JsonNode body, String field, boolean otherwise) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return otherwise;
    }
    if (!v.isBoolean()) {
      throw SnapshotException.invalid("'" + field + "' must be true or false, not " + v);
    }
    return v.booleanValue();
  }

  /** The body's array of strings {@code field}, empty when absent; {@code what} names its elements in errors. */
  private static Optional<List<String>> strings(JsonNode body, String field, String what) {
    if (!body.hasNonNull(field)) {
      return Optional.empty();
    }
    JsonNode array = body.get(field);
    if (!array.isArray()) {
      throw SnapshotException.invalid("'" + field + "' must be an array of " + what);
    }
    List<String> list = new ArrayList<>();
    for (JsonNode p : array) {
      if (!p.isTextual()) {
        throw SnapshotException.invalid("'" + field + "' must be an array of " + what + ", not " + p);
      }
      list.add(p.asText());
    }
    return Optional.of(list);
  }

  private static String text(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (!v.isTextual()) {
      throw SnapshotException.invalid("'" + field + "' must be a string");
    }
    return v.asText();
  }

  /** The request's JSON object body; an empty body is an empty object. */
  private static JsonNode body(byte[] bytes) {
    if (bytes.length == 0) {
      return JsonViews.object();
    }
    JsonNode node;
    try {
      node = JsonViews.mapper().readTree(bytes);
    } catch (IOException e) {
      throw SnapshotException.invalid("the request body is not valid JSON; send a JSON object");
    }
    if (node == null || node instanceof NullNode) {
      return JsonViews.object();
    }
    if (!(node instanceof ObjectNode)) {
      throw SnapshotException.invalid("the request body must be a JSON object");
    }
    return node;
  }

  private static List<String> segments(String rawPath) {
    List<String> out = new ArrayList<>();
    for (String s : rawPath.split("/")) {
      if (!s.isEmpty()) {
        out.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  /** Every value of a parameter that may repeat ({@code ?label=a=1&label=b=2}), decoded, in order. */
  private static List<String> queryValues(String raw, String name) {
    List<String> out = new ArrayList<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8).equals(name)) {
        out.add(eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.put(key, value);
    }
    return out;
  }

  /** Answers an HTTP-level failure that has no {@link ErrorCode} (503 BUSY), shaped as every error is. */
  static void sendError(HttpExchange ex, int status, String code, String message) throws IOException {
    send(ex, new Reply(status, JsonViews.error(code, message)));
  }

  private static void send(HttpExchange ex, Reply reply) throws IOException {
    try (ex) {
      if (reply.download() != null) {
        FileRoutes.Download d = reply.download();
        ex.getResponseHeaders().set("Content-Type", d.contentType());
        ex.sendResponseHeaders(d.status(), d.length() < 0 ? 0 : d.length() == 0 ? -1 : d.length());
        try (OutputStream out = ex.getResponseBody()) {
          d.body().write(out);
        } catch (RuntimeException e) {
          // the status is sent: all that is left is to cut the response short, which the client sees
          log.error("{} failed after its response started; the client got a truncated body",
              ex.getRequestURI().getPath(), e);
        }
        return;
      }
      if (reply.text() != null) {
        byte[] text = reply.text().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", PROMETHEUS_TEXT);
        ex.sendResponseHeaders(reply.status(), text.length);
        try (OutputStream out = ex.getResponseBody()) {
          out.write(text);
        }
        return;
      }
      if (reply.body() == null) {
        ex.sendResponseHeaders(reply.status(), -1);
        return;
      }
      byte[] bytes = JsonViews.bytes(reply.body());
      ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
      ex.sendResponseHeaders(reply.status(), bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }
}

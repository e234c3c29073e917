package io.snapshotkit.examples.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.examples.internal.JsonViews;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a request's JSON body and its fields for the routes: every mistake (not JSON, not an
 * object, an unknown field, a field of the wrong type) is INVALID_ARGUMENT naming the field.
 *
 * <p><b>Thread-safety:</b> stateless.
 */
final class JsonBodies {
  private JsonBodies() {}

  /** The body's {@code labels} object of strings; empty when absent. */
  static Map<String, String> labels(JsonNode body) {
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

  /** Refuses a body field the route does not take (a typo would otherwise be silently ignored). */
  static void fields(JsonNode body, String... known) {
    List<String> allowed = List.of(known);
    for (String name : (Iterable<String>) body::fieldNames) {
      if (!allowed.contains(name)) {
        throw SnapshotException.invalid("unknown field '" + name + "'; this route takes " + String.join(", ", allowed));
      }
    }
  }

  /** A boolean field, {@code otherwise} when absent or null. */
  static boolean flag(JsonNode body, String field, boolean otherwise) {
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
  static Optional<List<String>> strings(JsonNode body, String field, String what) {
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

  static String text(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (!v.isTextual()) {
      throw SnapshotException.invalid("'" + field + "' must be a string");
    }
    return v.asText();
  }

  /** The request's JSON object body; an empty body is an empty object. */
  static JsonNode body(byte[] bytes) {
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
}

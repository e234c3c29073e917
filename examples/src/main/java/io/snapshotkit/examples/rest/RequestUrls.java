package io.snapshotkit.examples.rest;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotQuery;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.Trigger;
import io.snapshotkit.WorkloadRef;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a request's URL for the routes: its decoded path segments, its query parameters (single
 * or repeated), and the snapshot listing's filters from them.
 *
 * <p><b>Thread-safety:</b> stateless.
 */
final class RequestUrls {
  private RequestUrls() {}

  static List<String> segments(String rawPath) {
    List<String> out = new ArrayList<>();
    for (String s : rawPath.split("/")) {
      if (!s.isEmpty()) {
        out.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  /** Every value of a parameter that may repeat ({@code ?label=a=1&label=b=2}), decoded, in order. */
  static List<String> queryValues(String raw, String name) {
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

  static Map<String, String> query(String raw) {
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

  static SnapshotQuery listQuery(WorkloadRef workload, Map<String, String> query, List<String> labels) {
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
}

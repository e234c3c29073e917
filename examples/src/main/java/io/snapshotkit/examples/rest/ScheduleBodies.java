package io.snapshotkit.examples.rest;

import com.fasterxml.jackson.databind.JsonNode;
import io.snapshotkit.RetentionPolicy;
import io.snapshotkit.Schedule;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * Reads the body of {@code PUT /v1/workloads/{w}/schedule}: {@code {"cron": "0 3 * * *"}} or
 * {@code {"every": "PT1H"}}, optional {@code "jitter": "PT10M"} and {@code "retention": {"keepLast":
 * 3, "hourly": 0, "daily": 7, "weekly": 0, "monthly": 0, "yearly": 0, "within": "PT36H"}}.
 * Durations are ISO-8601. Every mistake is INVALID_ARGUMENT naming the field.
 *
 * <p><b>Thread-safety:</b> stateless.
 */
final class ScheduleBodies {
  private static final List<String> FIELDS = List.of("cron", "every", "jitter", "retention");
  private static final List<String> RETENTION_FIELDS =
      List.of("keepLast", "hourly", "daily", "weekly", "monthly", "yearly", "within");

  private ScheduleBodies() {}

  /** The schedule the body describes for {@code workload}. */
  static Schedule parse(WorkloadRef workload, JsonNode body) {
    known(body, FIELDS, "a schedule");
    boolean cron = body.hasNonNull("cron");
    boolean every = body.hasNonNull("every");
    if (cron == every) {
      throw SnapshotException.invalid("send exactly one of \"cron\" (e.g. \"0 3 * * *\") and \"every\" (an ISO-8601 "
          + "duration, e.g. \"PT1H\")");
    }
    Schedule s = cron ? Schedule.cron(workload, text(body, "cron"))
        : Schedule.every(workload, duration(body, "every"));
    if (body.hasNonNull("jitter")) {
      s = s.jitter(duration(body, "jitter"));
    }
    if (body.hasNonNull("retention")) {
      s = s.retention(retention(body.get("retention")));
    }
    return s;
  }

  private static RetentionPolicy retention(JsonNode r) {
    if (!r.isObject()) {
      throw SnapshotException.invalid("\"retention\" must be an object such as {\"keepLast\": 3, \"daily\": 7}");
    }
    known(r, RETENTION_FIELDS, "\"retention\"");
    RetentionPolicy.Builder b = RetentionPolicy.builder().keepLast(count(r, "keepLast")).keepHourly(count(r, "hourly"))
        .keepDaily(count(r, "daily")).keepWeekly(count(r, "weekly")).keepMonthly(count(r, "monthly"))
        .keepYearly(count(r, "yearly"));
    if (r.hasNonNull("within")) {
      b.keepWithin(duration(r, "within"));
    }
    RetentionPolicy policy = b.build();
    if (policy.keepsNothing()) {
      throw SnapshotException.invalid("\"retention\" keeps nothing; give at least one rule above 0, or leave it out");
    }
    return policy;
  }

  private static void known(JsonNode node, List<String> allowed, String what) {
    for (String name : (Iterable<String>) node::fieldNames) {
      if (!allowed.contains(name)) {
        throw SnapshotException.invalid("unknown field '" + name + "' in " + what + "; it takes " + String.join(", ", allowed));
      }
    }
  }

  private static int count(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return 0;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw SnapshotException.invalid("'" + field + "' must be a whole number, not " + v);
    }
    return v.intValue();
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (!v.isTextual()) {
      throw SnapshotException.invalid("'" + field + "' must be a string, not " + v);
    }
    return v.asText();
  }

  private static Duration duration(JsonNode node, String field) {
    String t = text(node, field);
    try {
      return Duration.parse(t);
    } catch (DateTimeParseException e) {
      throw SnapshotException.invalid("'" + field + "' must be an ISO-8601 duration such as \"PT1H\" or \"PT10M\", not \""
          + t + "\"");
    }
  }
}

package io.snapshotkit.jdbc;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A statement's SQL with {@code :name} parameters, rewritten to JDBC's {@code ?} placeholders:
 * {@link #jdbc()} is what the driver prepares and {@link #names()} the parameter at each position.
 * A name may appear several times. Text inside {@code '...'} literals, {@code "..."} identifiers
 * and {@code --} comments is left alone, as is PostgreSQL's {@code ::} cast.
 *
 * <p>Parsed once per distinct SQL text and kept: the store's statements are a fixed set (label
 * filters add one per label count).
 *
 * <p><b>Threading:</b> immutable; the cache is thread-safe.
 */
record NamedSql(String jdbc, List<String> names) {
  private static final Map<String, NamedSql> PARSED = new ConcurrentHashMap<>();

  NamedSql {
    names = List.copyOf(names);
  }

  /** The parsed form of {@code sql}. */
  static NamedSql of(String sql) {
    NamedSql parsed = PARSED.get(sql);
    if (parsed == null) {
      parsed = parse(sql);
      if (PARSED.size() < 1_000) {
        PARSED.put(sql, parsed);
      }
    }
    return parsed;
  }

  static NamedSql parse(String sql) {
    StringBuilder out = new StringBuilder(sql.length());
    List<String> names = new ArrayList<>();
    int n = sql.length();
    int i = 0;
    while (i < n) {
      char c = sql.charAt(i);
      if (c == '\'' || c == '"') {
        int end = sql.indexOf(c, i + 1);
        while (end >= 0 && end + 1 < n && sql.charAt(end + 1) == c) {
          end = sql.indexOf(c, end + 2); // a doubled quote stands for itself
        }
        if (end < 0) {
          throw new IllegalArgumentException("unterminated " + c + " in SQL: " + sql);
        }
        out.append(sql, i, end + 1);
        i = end + 1;
      } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
        int end = sql.indexOf('\n', i);
        end = end < 0 ? n : end;
        out.append(sql, i, end);
        i = end;
      } else if (c == ':' && i + 1 < n && sql.charAt(i + 1) == ':') {
        out.append("::");
        i += 2;
      } else if (c == ':' && i + 1 < n && isNameStart(sql.charAt(i + 1))) {
        int end = i + 1;
        while (end < n && isNamePart(sql.charAt(end))) {
          end++;
        }
        names.add(sql.substring(i + 1, end));
        out.append('?');
        i = end;
      } else if (c == '?') {
        throw new IllegalArgumentException("use :name parameters, not ?, in SQL: " + sql);
      } else {
        out.append(c);
        i++;
      }
    }
    return new NamedSql(out.toString(), names);
  }

  private static boolean isNameStart(char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean isNamePart(char c) {
    return isNameStart(c) || (c >= '0' && c <= '9');
  }
}

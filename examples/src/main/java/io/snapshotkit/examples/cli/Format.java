package io.snapshotkit.examples.cli;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * Human renderings of sizes, durations, rates and instants relative to now.
 *
 * <p><b>Thread-safety:</b> stateless and thread-safe.
 */
final class Format {
  private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

  private Format() {}

  /** {@code 0 B}, {@code 999 B}, {@code 1.0 KiB}, {@code 12.3 MiB}: binary units, one decimal above bytes. */
  static String bytes(long n) {
    if (n < 0) {
      return "-" + bytes(n == Long.MIN_VALUE ? Long.MAX_VALUE : -n);
    }
    if (n < 1024) {
      return n + " B";
    }
    int unit = 0;
    double value = n;
    while (value >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    // 1023.96 KiB would print as "1024.0 KiB"; carry it to the next unit instead.
    if (Math.round(value * 10) >= 10240 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
  }

  /** A rate in bytes per second: {@code 4.1 MiB/s}. */
  static String rate(long bytes, Duration elapsed) {
    long millis = Math.max(1, elapsed.toMillis());
    return bytes((long) (bytes * 1000.0 / millis)) + "/s";
  }

  /** A short duration: {@code 0s}, {@code 42s}, {@code 3m05s}, {@code 2h07m}, {@code 3d04h}. */
  static String duration(Duration d) {
    long s = Math.max(0, d.getSeconds());
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    if (s < 86_400) {
      return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }
    return String.format(Locale.ROOT, "%dd%02dh", s / 86_400, (s % 86_400) / 3600);
  }

  /**
   * When {@code then} was, seen from {@code now}: {@code just now}, {@code 5 minutes ago},
   * {@code yesterday}, {@code 3 days ago}, or {@code in 2 hours} for the future.
   */
  static String relative(Instant then, Instant now) {
    long s = Duration.between(then, now).getSeconds();
    boolean future = s < 0;
    long a = Math.abs(s);
    if (a < 10) {
      return "just now";
    }
    String amount;
    if (a < 60) {
      amount = plural(a, "second");
    } else if (a < 3600) {
      amount = plural(a / 60, "minute");
    } else if (a < 86_400) {
      amount = plural(a / 3600, "hour");
    } else if (a < 2 * 86_400 && !future) {
      return "yesterday";
    } else if (a < 30L * 86_400) {
      amount = plural(a / 86_400, "day");
    } else if (a < 365L * 86_400) {
      amount = plural(a / (30L * 86_400), "month");
    } else {
      amount = plural(a / (365L * 86_400), "year");
    }
    return future ? "in " + amount : amount + " ago";
  }

  /**
   * A duration as users write it on the command line: one or more NUMBER UNIT parts with units
   * {@code s}, {@code m}, {@code h}, {@code d} (24 hours) and {@code w} (7 days), as in {@code 36h},
   * {@code 7d} or {@code 1d12h}; or ISO-8601 ({@code PT36H}, {@code P7D}).
   *
   * @throws io.snapshotkit.SnapshotException INVALID_ARGUMENT naming {@code option} when it is neither
   */
  static Duration parseDuration(String text, String option) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    if (t.startsWith("p")) {
      try {
        return Duration.parse(t.toUpperCase(Locale.ROOT));
      } catch (java.time.format.DateTimeParseException e) {
        throw badDuration(text, option);
      }
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})([smhdw])").matcher(t);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.lookingAt()) {
      long n = Long.parseLong(m.group(1));
      total = total.plus(switch (m.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        case "d" -> Duration.ofDays(n);
        default -> Duration.ofDays(7 * n);
      });
      end = m.end();
      m.region(end, t.length());
    }
    if (end == 0 || end != t.length()) {
      throw badDuration(text, option);
    }
    return total;
  }

  private static io.snapshotkit.SnapshotException badDuration(String text, String option) {
    return io.snapshotkit.SnapshotException.invalid(option + " takes a duration such as 36h, 7d, 2w or 1d12h "
        + "(units s, m, h, d, w), not '" + text + "'");
  }

  /**
   * {@code text} as one word of a POSIX shell command line: unchanged when it holds only characters
   * a shell leaves alone, else single-quoted.
   */
  static String shellWord(String text) {
    if (!text.isEmpty() && text.matches("[A-Za-z0-9_./:@%+=,-]+")) {
      return text;
    }
    return "'" + text.replace("'", "'\\''") + "'";
  }

  private static String plural(long n, String unit) {
    return n + " " + unit + (n == 1 ? "" : "s");
  }
}

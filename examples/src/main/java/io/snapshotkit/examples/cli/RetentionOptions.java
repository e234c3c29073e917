package io.snapshotkit.examples.cli;

import io.snapshotkit.RetentionPolicy;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The retention rules as options, shared by {@code retention} and {@code schedule set}:
 * {@code --keep-last}, {@code --hourly}, {@code --daily}, {@code --weekly}, {@code --monthly},
 * {@code --yearly} and {@code --keep-within}.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one instance belongs to one command.
 */
final class RetentionOptions {
  @Option(names = "--keep-last", paramLabel = "N", description = "Keep the newest N.")
  int keepLast;

  @Option(names = "--daily", paramLabel = "N", description = "Keep the newest of each of the last N days (UTC).")
  int daily;

  @Option(names = "--weekly", paramLabel = "N", description = "Keep the newest of each of the last N ISO weeks (UTC).")
  int weekly;

  @Option(names = "--hourly", paramLabel = "N", description = "Keep the newest of each of the last N hours (UTC).")
  int hourly;

  @Option(names = "--monthly", paramLabel = "N", description = "Keep the newest of each of the last N months (UTC).")
  int monthly;

  @Option(names = "--yearly", paramLabel = "N", description = "Keep the newest of each of the last N years (UTC).")
  int yearly;

  @Option(names = "--keep-within", paramLabel = "DURATION",
      description = "Keep every snapshot taken within DURATION of the newest one: e.g. 36h, 7d, 2w, 1d12h (s, m, h, d, w).")
  String keepWithin;

  /**
   * The policy the options give, or empty when none was given.
   *
   * @throws io.snapshotkit.SnapshotException INVALID_ARGUMENT for a negative count or a bad duration
   */
  Optional<RetentionPolicy> policy() {
    RetentionPolicy.Builder rules = RetentionPolicy.builder().keepLast(keepLast).keepHourly(hourly).keepDaily(daily)
        .keepWeekly(weekly).keepMonthly(monthly).keepYearly(yearly);
    if (keepWithin != null) {
      rules.keepWithin(Format.parseDuration(keepWithin, "--keep-within"));
    }
    RetentionPolicy policy = rules.build();
    return policy.keepsNothing() ? Optional.empty() : Optional.of(policy);
  }

  /** The policy in words, as the options are written: {@code keep-last 3, daily 7, keep-within PT36H}. */
  static String describe(RetentionPolicy p) {
    StringBuilder b = new StringBuilder();
    append(b, "keep-last", p.keepLast());
    append(b, "hourly", p.keepHourly());
    append(b, "daily", p.keepDaily());
    append(b, "weekly", p.keepWeekly());
    append(b, "monthly", p.keepMonthly());
    append(b, "yearly", p.keepYearly());
    p.keepWithin().ifPresent(d -> b.append(b.length() == 0 ? "" : ", ").append("keep-within ").append(Format.duration(d)));
    return b.toString();
  }

  private static void append(StringBuilder b, String name, int n) {
    if (n > 0) {
      b.append(b.length() == 0 ? "" : ", ").append(name).append(' ').append(n);
    }
  }
}

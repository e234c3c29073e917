package io.snapshotkit.core;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import io.snapshotkit.Schedule;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.WorkloadRef;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * The slots of one {@link Schedule} and when each is due: cron slots through cron-utils (Unix
 * definition, UTC), interval slots as multiples of the interval since the epoch, and the
 * deterministic jitter offset of a slot (a SHA-256 of the workload and the slot, so every engine
 * instance computes the same due time). {@link #checked} refuses, with {@code INVALID_ARGUMENT}, a
 * cron expression cron-utils refuses, one that never matches, or a jitter not shorter than the gap
 * between two cron slots.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
final class ScheduleTiming {
  private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  /** How many cron slots are examined for the shortest gap between two of them. */
  private static final int GAP_SAMPLE = 512;
  /** Where that examination starts: any fixed time works, a fixed one makes the check repeatable. */
  private static final ZonedDateTime GAP_FROM = ZonedDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

  private final Schedule schedule;
  private final ExecutionTime cron;

  private ScheduleTiming(Schedule schedule, ExecutionTime cron) {
    this.schedule = schedule;
    this.cron = cron;
  }

  /**
   * The timing of a schedule being set, checked: its cron expression parses and matches some date,
   * and its jitter is shorter than the shortest gap between its cron slots.
   *
   * @throws SnapshotException INVALID_ARGUMENT naming what to fix
   */
  static ScheduleTiming checked(Schedule schedule) {
    ScheduleTiming timing = of(schedule);
    if (timing.cron != null) {
      String expression = schedule.cron().get();
      Duration gap = timing.shortestCronGap().orElseThrow(() -> SnapshotException.invalid(
          "the cron expression '" + expression + "' never matches a date; check its day-of-month and month fields"));
      if (schedule.jitter().compareTo(gap) >= 0) {
        throw SnapshotException.invalid("a schedule's jitter (" + schedule.jitter() + ") must be shorter than the "
            + "shortest gap between its cron slots (" + gap + "), or slots would overlap; give a smaller jitter");
      }
    }
    return timing;
  }

  /**
   * The timing of a stored schedule: its cron expression parsed, without the gap check (done
   * once, when it was set), so a run over many schedules stays cheap.
   *
   * @throws SnapshotException INVALID_ARGUMENT if the cron expression does not parse
   */
  static ScheduleTiming of(Schedule schedule) {
    if (schedule.cron().isEmpty()) {
      return new ScheduleTiming(schedule, null);
    }
    String expression = schedule.cron().get();
    try {
      Cron parsed = UNIX.parse(expression);
      parsed.validate();
      return new ScheduleTiming(schedule, ExecutionTime.forCron(parsed));
    } catch (IllegalArgumentException e) {
      throw SnapshotException.invalid("invalid cron expression '" + expression + "': " + EngineContext.oneLine(e.getMessage())
          + "; write 5 fields, minute hour day-of-month month day-of-week, such as '0 3 * * *' or '*/15 * * * *'");
    }
  }

  /** The latest slot at or before {@code t}, if any. */
  Optional<Instant> latestAtOrBefore(Instant t) {
    if (cron == null) {
      Duration interval = schedule.interval().orElseThrow();
      long n = Duration.between(Instant.EPOCH, t).dividedBy(interval);
      if (t.isBefore(Instant.EPOCH)) {
        return Optional.empty();
      }
      return Optional.of(Instant.EPOCH.plus(interval.multipliedBy(n)));
    }
    ZonedDateTime minute = t.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.MINUTES);
    if (cron.isMatch(minute)) {
      return Optional.of(minute.toInstant());
    }
    return cron.lastExecution(minute).map(ZonedDateTime::toInstant);
  }

  /** The slot just before {@code slot}, if any. */
  Optional<Instant> before(Instant slot) {
    if (cron == null) {
      return latestAtOrBefore(slot.minusNanos(1));
    }
    return cron.lastExecution(slot.atZone(ZoneOffset.UTC)).map(ZonedDateTime::toInstant);
  }

  /** The first slot after {@code t}, if any. */
  Optional<Instant> after(Instant t) {
    if (cron == null) {
      Duration interval = schedule.interval().orElseThrow();
      return latestAtOrBefore(t).map(s -> s.plus(interval));
    }
    return cron.nextExecution(t.atZone(ZoneOffset.UTC)).map(ZonedDateTime::toInstant);
  }

  /** When {@code slot} is due: the slot plus its jitter offset. */
  Instant due(Instant slot) {
    return slot.plus(offset(schedule.workload(), slot, schedule.jitter()));
  }

  /**
   * The slot to run at {@code now} for a schedule whose last claimed slot is {@code lastSlot}: the
   * most recent slot that is due and after {@code lastSlot}. Earlier unclaimed slots are not run
   * (catch-up coalesces them into this one).
   */
  Optional<Instant> dueSlot(Instant lastSlot, Instant now) {
    Optional<Instant> latest = latestAtOrBefore(now);
    if (latest.isPresent() && due(latest.get()).isAfter(now)) {
      // Its jitter has not passed yet; the slot before it is due (the jitter is shorter than the gap).
      latest = before(latest.get());
    }
    return latest.filter(slot -> slot.isAfter(lastSlot));
  }

  /** Whether slots after {@code lastSlot} and before {@code slot} were never claimed. */
  boolean missedBefore(Instant slot, Instant lastSlot) {
    return before(slot).map(previous -> previous.isAfter(lastSlot)).orElse(false);
  }

  /** The deterministic offset of a slot in {@code [0, jitter)}: a hash of the workload and the slot. */
  static Duration offset(WorkloadRef workload, Instant slot, Duration jitter) {
    if (jitter.isZero()) {
      return Duration.ZERO;
    }
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
    sha.update((workload.tenant().value() + '\0' + workload.id() + '\0').getBytes(StandardCharsets.UTF_8));
    sha.update(ByteBuffer.allocate(12).putLong(slot.getEpochSecond()).putInt(slot.getNano()).array());
    long hash = ByteBuffer.wrap(sha.digest()).getLong();
    return Duration.ofNanos(Math.floorMod(hash, jitter.toNanos()));
  }

  private Optional<Duration> shortestCronGap() {
    Optional<ZonedDateTime> previous = cron.nextExecution(GAP_FROM);
    if (previous.isEmpty()) {
      return Optional.empty();
    }
    Duration shortest = null;
    for (int i = 0; i < GAP_SAMPLE; i++) {
      Optional<ZonedDateTime> next = cron.nextExecution(previous.get());
      if (next.isEmpty()) {
        break;
      }
      Duration gap = Duration.between(previous.get(), next.get());
      shortest = shortest == null || gap.compareTo(shortest) < 0 ? gap : shortest;
      previous = next;
    }
    // A cron line matching one date only (never again) has no gap; any jitter below a year is fine then.
    return Optional.of(shortest == null ? Duration.ofDays(365) : shortest);
  }
}

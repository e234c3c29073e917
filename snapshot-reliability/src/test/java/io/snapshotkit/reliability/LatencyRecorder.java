package io.snapshotkit.reliability;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Collects per-operation latencies of a load run and renders throughput and p50/p99.
 *
 * <p><b>Thread-safety:</b> thread-safe (every method synchronises on this recorder).
 */
final class LatencyRecorder {
  private final Map<String, List<Long>> nanos = new TreeMap<>();

  synchronized void record(String operation, long elapsedNanos) {
    nanos.computeIfAbsent(operation, k -> new ArrayList<>()).add(elapsedNanos);
  }

  synchronized long count(String operation) {
    return nanos.getOrDefault(operation, List.of()).size();
  }

  synchronized long total() {
    return nanos.values().stream().mapToLong(List::size).sum();
  }

  /** A Markdown table: operation, count, ops/s, p50 ms, p99 ms, max ms. */
  synchronized String table(double seconds) {
    StringBuilder out = new StringBuilder();
    out.append("| operation | count | ops/s | p50 ms | p99 ms | max ms |\n");
    out.append("|---|---:|---:|---:|---:|---:|\n");
    nanos.forEach((op, list) -> {
      long[] sorted = list.stream().mapToLong(Long::longValue).sorted().toArray();
      out.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.1f |%n", op, sorted.length,
          sorted.length / seconds, millis(percentile(sorted, 0.50)), millis(percentile(sorted, 0.99)),
          millis(sorted[sorted.length - 1])));
    });
    out.append(String.format(Locale.ROOT, "| **all** | %d | %.1f | | | |%n", total(), total() / seconds));
    return out.toString();
  }

  static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int index = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  private static double millis(long nanos) {
    return nanos / 1_000_000.0;
  }

  @Override
  public synchronized String toString() {
    return "LatencyRecorder" + Arrays.toString(nanos.keySet().toArray());
  }
}

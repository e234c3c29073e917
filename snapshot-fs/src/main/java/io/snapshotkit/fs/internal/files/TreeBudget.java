package io.snapshotkit.fs.internal.files;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.SnapshotArchive.Limits;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * What a {@link SafeTree} may still write under its {@link Limits}: entries, counted one at a time
 * on the tree's thread, and content bytes, counted atomically as they stream (from any thread), so
 * that a decompression bomb is cut off at the cap and never written past it. A count that would
 * pass its cap is refused and not counted.
 *
 * <p><b>Thread-safety:</b> {@link #countBytes} and {@link #bytes} are thread-safe; the entry count
 * is confined to the tree's thread.
 */
final class TreeBudget {
  private final Limits limits;
  /** Words a refusal for the tree's origin (see {@link SafeTree#unsafe}). */
  private final Function<String, SnapshotException> unsafe;
  private long entries;
  private final AtomicLong bytes = new AtomicLong();

  TreeBudget(Limits limits, Function<String, SnapshotException> unsafe) {
    this.limits = limits;
    this.unsafe = unsafe;
  }

  /** Entries counted so far. */
  long entries() {
    return entries;
  }

  /** Content bytes counted so far. */
  long bytes() {
    return bytes.get();
  }

  /** Counts one more entry, refusing it if the tree already holds {@link Limits#maxEntries()}. */
  void countEntry(String path) {
    if (entries >= limits.maxEntries()) {
      throw unsafe.apply("it has more than " + limits.maxEntries() + " entries (at '" + PathRules.printable(path)
          + "'); raise Limits.maxEntries if you trust it");
    }
    entries++;
  }

  /** Refuses a file whose announced size alone would pass the byte cap; counts nothing. */
  void checkDeclared(long declaredSize) {
    if (declaredSize > limits.maxTotalBytes() - bytes.get()) {
      throw tooManyBytes();
    }
  }

  /** Counts bytes about to be written, refusing (and not counting) them if they pass the cap. */
  void countBytes(long n) {
    long before;
    do {
      before = bytes.get();
      if (n > limits.maxTotalBytes() - before) {
        throw tooManyBytes();
      }
    } while (!bytes.compareAndSet(before, before + n));
  }

  private SnapshotException tooManyBytes() {
    return unsafe.apply("it expands past the limit of " + limits.maxTotalBytes()
        + " uncompressed bytes; raise Limits.maxTotalBytes if you trust it");
  }
}

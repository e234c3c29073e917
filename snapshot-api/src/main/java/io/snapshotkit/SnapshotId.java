package io.snapshotkit;

import java.time.Instant;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * A time-sortable snapshot identifier: 26 characters of Crockford base32, the first ten encoding
 * the creation time in milliseconds and the rest 80 random bits (the ULID layout). Ids sort by
 * their millisecond as plain strings; the engine makes the ids of one millisecond monotonic
 * ({@link #successor()}), so its ids sort in creation order, which is what listing relies on.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param value the 26-character canonical (upper-case) text
 */
public record SnapshotId(String value) implements Comparable<SnapshotId> {
  private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  private static final int LENGTH = 26;

  /** Validates the text. */
  public SnapshotId {
    if (value == null) {
      throw SnapshotException.invalid("snapshot id is required");
    }
    if (value.length() != LENGTH) {
      throw SnapshotException.invalid("a snapshot id has 26 characters; check the id you passed");
    }
    for (int i = 0; i < LENGTH; i++) {
      if (decode(value.charAt(i)) < 0) {
        throw SnapshotException.invalid("a snapshot id uses Crockford base32 (0-9, A-Z without I, L, O, U); check the id you passed");
      }
    }
    if (decode(value.charAt(0)) > 7) {
      throw SnapshotException.invalid("a snapshot id's first character is 0 to 7; check the id you passed");
    }
  }

  /**
   * Parses an id, accepting lower case.
   *
   * @throws SnapshotException {@link ErrorCode#INVALID_ARGUMENT} if the text is not an id
   */
  public static SnapshotId parse(String text) {
    Objects.requireNonNull(text, "text");
    return new SnapshotId(text.trim().toUpperCase(java.util.Locale.ROOT));
  }

  /**
   * A new id for a snapshot created at {@code time}. The caller supplies time and randomness so
   * that tests are deterministic.
   */
  public static SnapshotId generate(Instant time, RandomGenerator random) {
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(random, "random");
    long millis = time.toEpochMilli();
    if (millis < 0 || millis >= (1L << 48)) {
      throw new IllegalArgumentException("time out of range for a snapshot id: " + time);
    }
    char[] out = new char[LENGTH];
    for (int i = 9; i >= 0; i--) {
      out[i] = ALPHABET[(int) (millis & 31)];
      millis >>>= 5;
    }
    long hi = random.nextLong() & ((1L << 40) - 1);
    long lo = random.nextLong() & ((1L << 40) - 1);
    for (int i = 17; i >= 10; i--) {
      out[i] = ALPHABET[(int) (hi & 31)];
      hi >>>= 5;
    }
    for (int i = 25; i >= 18; i--) {
      out[i] = ALPHABET[(int) (lo & 31)];
      lo >>>= 5;
    }
    return new SnapshotId(new String(out));
  }

  /**
   * The id that follows this one within its millisecond: the same timestamp and the 80-bit random
   * part plus one, so it sorts right after this id. This is how a generator keeps ids monotonic
   * when several are made in one millisecond (as monotonic ULIDs do).
   *
   * @return empty when the random part is already at its maximum (the millisecond is exhausted)
   */
  public java.util.Optional<SnapshotId> successor() {
    char[] next = value.toCharArray();
    for (int i = LENGTH - 1; i >= 10; i--) {
      int digit = decode(next[i]);
      if (digit < 31) {
        next[i] = ALPHABET[digit + 1];
        return java.util.Optional.of(new SnapshotId(new String(next)));
      }
      next[i] = ALPHABET[0];
    }
    return java.util.Optional.empty();
  }

  /** The creation time encoded in the id, to the millisecond. */
  public Instant timestamp() {
    long millis = 0;
    for (int i = 0; i < 10; i++) {
      millis = (millis << 5) | decode(value.charAt(i));
    }
    return Instant.ofEpochMilli(millis);
  }

  private static int decode(char c) {
    for (int i = 0; i < ALPHABET.length; i++) {
      if (ALPHABET[i] == c) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public int compareTo(SnapshotId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}

package io.snapshotkit.examples.cli;

import io.snapshotkit.ErrorCode;

/**
 * The process exit status of every outcome: 0 for success, 2 for a command line picocli could not
 * parse, one distinct status per {@link ErrorCode}, and 1 for a failure that is not a
 * {@link io.snapshotkit.SnapshotException} (a bug; run with {@code --verbose} and report it). The
 * {@code bin/snapshotkit} launcher adds 127 for "the jar is not built" or "no java".
 *
 * <p><b>Thread-safety:</b> stateless and thread-safe.
 */
final class ExitCodes {
  /** Everything went as asked. */
  static final int OK = 0;
  /** An unexpected failure that is not a SnapshotException. */
  static final int UNEXPECTED = 1;
  /** The command line is wrong: unknown command or option, missing argument. */
  static final int USAGE = 2;

  private ExitCodes() {}

  /** The exit status for a failure with this code: 3 to 11, distinct per code. */
  static int of(ErrorCode code) {
    return switch (code) {
      case NOT_FOUND -> 3;
      case INVALID_ARGUMENT -> 4;
      case FORBIDDEN -> 5;
      case CONFLICT -> 6;
      case QUOTA_EXCEEDED -> 7;
      case HOST_UNAVAILABLE -> 8;
      case CORRUPT -> 9;
      case INTERNAL -> 10;
      case INSUFFICIENT_STORAGE -> 11;
    };
  }
}

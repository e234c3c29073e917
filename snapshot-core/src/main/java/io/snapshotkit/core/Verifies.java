package io.snapshotkit.core;

import static io.snapshotkit.core.EngineContext.context;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.SnapshotStatus;
import io.snapshotkit.TenantId;
import io.snapshotkit.spi.HostAgent;
import io.snapshotkit.spi.HostVerify;
import io.snapshotkit.spi.VerifyOutcome;
import java.util.Objects;

/**
 * The verify use case: asks the host that holds a READY snapshot whether its data is still present
 * and intact, through the agent's {@link HostVerify} when it has one, else only whether the host
 * still holds it ({@link HostAgent#sizeOf}).
 *
 * <p><b>Thread-safety:</b> thread-safe (stateless apart from its collaborators).
 */
final class Verifies {
  private final EngineContext ctx;
  private final Reads reads;

  Verifies(EngineContext ctx, Reads reads) {
    this.ctx = ctx;
    this.reads = reads;
  }

  VerifyReport verify(TenantId tenant, SnapshotId id, double sample) {
    if (!(sample > 0 && sample <= 1)) {
      throw SnapshotException.invalid("sample is the fraction of contents to read back, above 0 and at most 1 "
          + "(1 reads everything), not " + sample);
    }
    Snapshot s = reads.get(tenant, id);
    if (s.status() != SnapshotStatus.READY) {
      throw new SnapshotException(ErrorCode.CONFLICT, "snapshot " + id + " is " + s.status()
          + "; only a READY snapshot can be verified").withWorkload(s.workload()).withSnapshot(id);
    }
    String host = s.host().orElseGet(() -> ctx.hostOf(s.workload()));
    HostAgent agent = ctx.agent(host);
    VerifyOutcome outcome;
    try {
      if (agent instanceof HostVerify verifier) {
        outcome = Objects.requireNonNull(verifier.verify(s.workload(), id, sample), "verify returned null");
      } else {
        outcome = agent.sizeOf(s.workload(), id).isPresent() ? VerifyOutcome.present() : VerifyOutcome.missing();
      }
    } catch (RuntimeException e) {
      throw context(SnapshotException.wrap("verifying snapshot " + id + " on host " + host, e), s.workload(), id);
    }
    return new VerifyReport(s, host, outcome);
  }
}

package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.spi.VerifyOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one snapshot's contents back and checks each against its digest: the directory agent's
 * {@link io.snapshotkit.spi.HostVerify}. Unlike the repository-wide check, it touches only this
 * snapshot's entries, so it costs what the snapshot holds (or the sampled part of it), and it
 * streams them, so a million-entry snapshot is verified in bounded memory.
 *
 * <p><b>Thread-safety:</b> stateless; safe concurrently with captures, deletes and gc (a content
 * moved by a concurrent repack is looked up again by {@link ContentStore#open}).
 */
public final class SnapshotVerifier {
  private SnapshotVerifier() {}

  /**
   * Verifies snapshot {@code id} of {@code w} in {@code repo}.
   *
   * @param sample fraction of contents to read back, in (0, 1]; a content is in the sample when
   *     its digest falls in the first {@code sample} of the digest space
   */
  public static VerifyOutcome verify(FsRepository repo, WorkloadRef w, SnapshotId id, double sample) {
    if (!repo.exists(w, id)) {
      return VerifyOutcome.missing();
    }
    long checked = 0;
    long problemCount = 0;
    List<String> problems = new ArrayList<>();
    long threshold = (long) Math.floor(sample * 65_536);
    byte[] buf = new byte[1 << 16];
    try (TreeReader entries = repo.entries(w, id)) {
      while (entries.hasNext()) {
        Entry e = entries.next();
        if (e.digest() == null || (sample < 1 && (e.digest().hashCode() & 0xffff) >= threshold)) {
          continue;
        }
        checked++;
        try (InputStream in = repo.content().open(e.digest())) {
          while (in.read(buf) >= 0) {
            // reading verifies the digest
          }
        } catch (SnapshotException ex) {
          if (ex.code() != ErrorCode.CORRUPT) {
            throw ex;
          }
          problemCount = note(problems, problemCount, e.volume() + ":" + e.path() + ": " + ex.getMessage());
        } catch (IOException ex) {
          problemCount = note(problems, problemCount, e.volume() + ":" + e.path() + ": unreadable: " + ex.getMessage());
        }
      }
    } catch (SnapshotException ex) {
      if (ex.code() == ErrorCode.NOT_FOUND) {
        return VerifyOutcome.missing();
      }
      if (ex.code() != ErrorCode.CORRUPT && ex.code() != ErrorCode.INTERNAL) {
        throw ex;
      }
      problemCount = note(problems, problemCount, "the snapshot's manifest is damaged: " + ex.getMessage());
    }
    if (problemCount > problems.size()) {
      problems.set(problems.size() - 1, (problemCount - problems.size() + 1) + " more damaged contents not listed");
    }
    return problems.isEmpty() ? VerifyOutcome.intact(checked) : VerifyOutcome.damaged(checked, problems);
  }

  private static long note(List<String> problems, long count, String line) {
    if (problems.size() < VerifyOutcome.MAX_PROBLEMS) {
      problems.add(line);
    }
    return count + 1;
  }
}

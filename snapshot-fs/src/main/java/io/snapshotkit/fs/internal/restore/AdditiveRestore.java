package io.snapshotkit.fs.internal.restore;

import io.snapshotkit.RestoreFailure;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.FileType;
import io.snapshotkit.fs.SnapshotArchive.Limits;
import io.snapshotkit.fs.internal.files.OrderedWork.Work;
import io.snapshotkit.fs.internal.files.OrderedWork;
import io.snapshotkit.fs.internal.files.RawNames;
import io.snapshotkit.fs.internal.files.SafeTree;
import io.snapshotkit.fs.internal.repo.Entry;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.repo.TreeReader;
import io.snapshotkit.spi.ProgressTracker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The additive restore: creates, in the target directories, the entries of a snapshot that they
 * lack, and touches nothing that exists. Not journaled: every entry it writes is new, so an
 * interrupted additive restore leaves only complete entries plus, at worst, the one file being
 * written (a failed write removes it).
 *
 * <p><b>Thread-safety:</b> immutable; safe for concurrent use on different targets.
 */
public final class AdditiveRestore {
  private static final Logger LOG = LoggerFactory.getLogger(AdditiveRestore.class);

  private final FsRepository repo;
  private final Limits limits;
  private final Executor executor;

  AdditiveRestore(FsRepository repo, Limits limits, Executor executor) {
    this.repo = repo;
    this.limits = limits;
    this.executor = executor;
  }

  /**
   * What an additive restore did.
   *
   * @param created entries written
   * @param skipped entries left alone because something already exists at their path
   * @param failures entries that could not be written, with why
   * @param warnings what was not restored as recorded (owners, setuid and setgid bits), at most one line
   */
  public record Result(int created, int skipped, List<RestoreFailure> failures, List<String> warnings) {
    /** Copies. */
    public Result {
      failures = List.copyOf(failures);
      warnings = List.copyOf(warnings);
    }
  }

  /**
   * Creates what the volumes lack, leaving every existing entry as it is. An entry that cannot be
   * written is reported in {@link Result#failures()} (what failed, why and its code: CORRUPT for
   * damaged stored content, INSUFFICIENT_STORAGE for a full disk); the other entries are still
   * written.
   *
   * @return what was created and skipped, what failed, and what was not restored as recorded
   */
  Result restore(WorkloadRef w, SnapshotId id, Map<String, Path> targets, Selection sel, ProgressTracker progress) {
    int[] counts = {0, 0};
    List<RestoreFailure> failures = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    Map<String, SafeTree> trees = new HashMap<>();
    // a write answers its failure, or null when it was written
    try (TreeReader r = repo.entries(w, id);
        OrderedWork<Written> writes = new OrderedWork<>(executor, StoredEntries.WRITE_WINDOW, written -> {
          if (written.skipped()) {
            counts[1]++;
          } else if (written.failure() == null) {
            counts[0]++;
          } else {
            failures.add(written.failure());
          }
          progress.advance(1, written.entry().type() == FileType.FILE ? written.entry().size() : 0, written.entry().key());
        })) {
      try {
        while (r.hasNext()) {
          Entry e = r.next();
          if (!sel.covers(e) || !targets.containsKey(e.volume())) {
            continue;
          }
          Path root = targets.get(e.volume());
          SafeTree tree = trees.get(e.volume());
          if (tree == null) {
            try {
              Files.createDirectories(root);
            } catch (IOException ex) {
              throw SnapshotException.wrap("creating volume directory " + root, ex);
            }
            tree = SafeTree.rootedAt(root, limits, SafeTree.Origin.STORED);
            trees.put(e.volume(), tree);
          }
          Path path = RawNames.resolve(root, e.path());
          if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            writes.done(new Written(e, null, true));
            continue;
          }
          Optional<Work<String>> content;
          try {
            content = StoredEntries.write(repo, tree, e.path(), e);
          } catch (SnapshotException ex) {
            writes.done(new Written(e, RestoreFailure.of(e.key(), ex), false));
            continue;
          }
          if (content.isEmpty()) {
            writes.done(new Written(e, null, false));
          } else {
            Work<String> write = content.get();
            writes.submit(() -> {
              try {
                write.run();
                return new Written(e, null, false);
              } catch (SnapshotException ex) {
                deleteQuietly(path);
                return new Written(e, RestoreFailure.of(e.key(), ex), false);
              }
            });
          }
        }
        writes.finish();
      } catch (IOException ex) {
        throw SnapshotException.wrap("restoring snapshot " + id, ex);
      }
    } finally {
      trees.values().forEach(SafeTree::finish);
    }
    StoredEntries.ownershipWarning(trees.values()).ifPresent(warnings::add);
    return new Result(counts[0], counts[1], failures, warnings);
  }

  /** One entry handled: written, skipped (it existed), or failed (with why). */
  private record Written(Entry entry, RestoreFailure failure, boolean skipped) {}

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.warn("could not remove {} after a failed write", p, e);
    }
  }
}

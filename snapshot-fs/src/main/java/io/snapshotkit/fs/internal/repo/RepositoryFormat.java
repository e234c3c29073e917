package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.List;

/**
 * The repository's format version: the write-once object {@code format}, holding
 * {@value #CURRENT}. A repository without it that already holds packs, blobs or snapshots was
 * written by format 1 (whole-file blobs, flat manifests), which this version does not read.
 */
final class RepositoryFormat {
  static final String NAME = "format";
  static final String CURRENT = "snapshotkit-repository 2\n";

  private RepositoryFormat() {}

  /**
   * Writes the format of a new repository, or checks an existing one's.
   *
   * @throws SnapshotException CONFLICT naming the format found if it is not format 2
   */
  static void ensure(ObjectStore store, String where) throws IOException {
    String found;
    try {
      found = new String(store.get(NAME), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      if (holdsData(store)) {
        throw refuse(where, "format 1 (it has no format file)");
      }
      store.putIfAbsent(NAME, CURRENT.getBytes(StandardCharsets.UTF_8));
      found = new String(store.get(NAME), StandardCharsets.UTF_8);
    }
    if (!found.equals(CURRENT)) {
      throw refuse(where, "'" + found.strip() + "'");
    }
  }

  private static boolean holdsData(ObjectStore store) throws IOException {
    for (String dir : List.of("packs/", "blobs/", "snapshots/", "index/")) {
      if (!store.list(dir).isEmpty()) {
        return true;
      }
    }
    return false;
  }

  private static SnapshotException refuse(String where, String found) {
    return new SnapshotException(ErrorCode.CONFLICT, "the repository " + where + " uses " + found
        + ", which this version of snapshot-fs cannot read (it writes format 2: content-defined chunks); "
        + "open a new, empty repository directory instead (format 1 was never released, so no migration is "
        + "offered)");
  }
}

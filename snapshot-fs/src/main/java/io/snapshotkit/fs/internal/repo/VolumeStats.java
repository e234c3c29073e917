package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.fs.FileType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Per-volume counts and the tree digest (paths, types, modes, content; not times), kept while a
 * snapshot is written and read back from its root file.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one writer adds to it.
 */
public final class VolumeStats {
  long files;
  long dirs;
  long symlinks;
  long bytes;
  private final MessageDigest tree = Digest.sha256();
  String digest;

  public void add(Entry e) {
    switch (e.type()) {
      case FILE -> {
        files++;
        bytes += e.size();
      }
      case DIRECTORY -> dirs++;
      case SYMLINK -> symlinks++;
    }
    String line = e.type().ordinal() + " " + Integer.toOctalString(e.mode()) + " "
        + (e.type() == FileType.FILE ? e.digest().hex() : e.type() == FileType.SYMLINK ? e.linkTarget() : "")
        + " " + e.path() + "\n";
    tree.update(line.getBytes(StandardCharsets.UTF_8));
  }

  String treeDigest() {
    if (digest == null) {
      digest = Digest.of(tree.digest()).hex();
    }
    return digest;
  }
}

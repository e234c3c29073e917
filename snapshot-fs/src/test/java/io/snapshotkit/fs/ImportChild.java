package io.snapshotkit.fs;

import io.snapshotkit.SnapshotException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child-JVM entry point for {@link ImportManifestMemoryIT}: imports an archive and prints how it
 * ended, so the parent can run it with a small heap.
 */
final class ImportChild {
  private ImportChild() {}

  /** Args: archive, staging directory. */
  public static void main(String[] args) throws IOException {
    try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
      SnapshotArchive.importArchive(in, Path.of(args[1]), SnapshotArchive.Limits.defaults());
      // the parent reads these lines; System.out is this tool's interface, not library logging
      System.out.println("IMPORTED");
    } catch (SnapshotException e) {
      System.out.println("REFUSED " + e.code() + " " + e.getMessage());
    }
  }
}

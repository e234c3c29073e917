package io.snapshotkit.fs;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDirFactory;

/**
 * Puts a {@code @TempDir} on {@code /dev/shm} (tmpfs, a real POSIX filesystem) where the host has
 * one, so tests that create tens of thousands of files are not dominated by a busy disk; elsewhere
 * it is an ordinary temporary directory.
 */
final class MemoryTempDir implements TempDirFactory {
  @Override
  public Path createTempDirectory(AnnotatedElementContext element, ExtensionContext context) throws Exception {
    Path shm = Path.of("/dev/shm");
    return Files.isDirectory(shm) && Files.isWritable(shm)
        ? Files.createTempDirectory(shm, "snapshotkit-fs-")
        : Files.createTempDirectory("snapshotkit-fs-");
  }
}

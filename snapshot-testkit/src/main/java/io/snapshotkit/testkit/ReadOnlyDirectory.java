package io.snapshotkit.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A directory a test fills and then makes read-only for real, to test what a store or a tool does
 * on a read-only home. As root (the CI containers), a
 * tmpfs is mounted on it and remounted read-only: root ignores permission bits, so {@code chmod
 * 0555} would prove nothing, and {@code chattr +i} does not work on tmpfs or overlay filesystems.
 * As another user, the permission bits are removed instead, which that user cannot bypass.
 * {@link #close()} unmounts (or restores the permissions) so the test's temporary directory can
 * be deleted.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one test uses one instance.
 */
public final class ReadOnlyDirectory implements AutoCloseable {
  private final Path dir;
  private final boolean mounted;

  private ReadOnlyDirectory(Path dir, boolean mounted) {
    this.dir = dir;
    this.mounted = mounted;
  }

  /**
   * Creates {@code dir}, on its own tmpfs when running as root; skips the test (a JUnit
   * assumption) if that mount fails.
   *
   * @throws IOException if the directory cannot be created
   */
  public static ReadOnlyDirectory at(Path dir) throws IOException {
    Files.createDirectories(dir);
    boolean root = "root".equals(System.getProperty("user.name"));
    if (root) {
      assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", dir.toString()),
          "running as root, a read-only home needs a read-only mount, and mounting a tmpfs failed "
              + "(no CAP_SYS_ADMIN in this container?); root ignores chmod, so the test cannot run");
    }
    return new ReadOnlyDirectory(dir, root);
  }

  /** The directory. */
  public Path dir() {
    return dir;
  }

  /**
   * Makes everything under the directory read-only.
   *
   * @throws IOException if that fails
   */
  public void makeReadOnly() throws IOException {
    if (mounted) {
      if (!run("mount", "-o", "remount,ro", dir.toString())) {
        throw new IOException("could not remount " + dir + " read-only");
      }
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.toList()) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "r-xr-xr-x" : "r--r--r--"));
      }
    }
  }

  /** Unmounts the tmpfs (its content goes with it), or makes everything writable again. */
  @Override
  public void close() throws IOException {
    if (mounted) {
      if (!run("umount", dir.toString())) {
        run("umount", "-l", dir.toString());
      }
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.toList()) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
      }
    }
  }

  private static boolean run(String... command) {
    try {
      Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}

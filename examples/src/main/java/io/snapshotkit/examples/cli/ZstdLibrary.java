package io.snapshotkit.examples.cli;

import com.github.luben.zstd.util.Native;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * zstd-jni's native library, loaded from the copy {@code bin/snapshotkit} keeps beside its
 * start-up cache instead of being extracted again. Left alone, zstd-jni copies its 0.9 MB library
 * out of the jar into a new temporary file at the first compress or decompress of every process,
 * which costs a cold command 20-27 ms (measured in cold JVMs on JDK 17 and 25, with the security
 * providers already loaded) besides writing that file.
 *
 * <p>The launcher passes the copy's path as the system property {@value #PROPERTY} only after
 * checking it against the checksum in its directory's name (see the launcher's comments); a copy
 * that cannot be loaded anyway (it vanished meanwhile) is logged at debug level and zstd-jni then
 * extracts its own, as without the launcher: the copy never makes a command fail.
 *
 * <p><b>Thread-safety:</b> call from one thread, before anything compresses.
 */
final class ZstdLibrary {
  private static final Logger LOG = LoggerFactory.getLogger(ZstdLibrary.class);
  /** The system property naming the copy to load. */
  static final String PROPERTY = "snapshotkit.zstdLibrary";
  /** The directory, in a training directory, that the library is copied to. */
  static final String TRAINING_DIRECTORY = "zstd";

  private ZstdLibrary() {}

  /**
   * Loads the copy named by {@value #PROPERTY}, if set and zstd-jni has not loaded its library yet.
   *
   * @return whether the copy was loaded
   */
  static boolean preload() {
    String path = System.getProperty(PROPERTY);
    if (path == null || path.isEmpty()) {
      return false;
    }
    // zstd-jni's load and assumeLoaded are static synchronized: holding the same lock, no zstd-jni
    // load can run between this one and marking the library loaded
    synchronized (Native.class) {
      if (Native.isLoaded()) {
        return false;
      }
      try {
        System.load(path);
        Native.assumeLoaded();
        return true;
      } catch (UnsatisfiedLinkError | SecurityException e) {
        LOG.debug("not loading zstd's library from {}; zstd-jni extracts its own", path, e);
        return false;
      }
    }
  }

  /**
   * Copies the library zstd-jni would extract on this platform (the jar resource its own {@code
   * Native.resourceName()} names, read reflectively: zstd-jni has no public way to ask) into the
   * directory {@value #TRAINING_DIRECTORY} of {@code work}; the launcher keeps that copy.
   *
   * @return the copy, or {@code null} when zstd-jni names no resource here or the name cannot be
   *     read (another zstd-jni version): it then extracts its own, as without the launcher
   */
  static Path copyForLauncher(Path work) throws IOException {
    String resource;
    try {
      java.lang.reflect.Method name = Native.class.getDeclaredMethod("resourceName");
      name.setAccessible(true);
      resource = (String) name.invoke(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.debug("cannot read the name of zstd-jni's library resource; not copying it", e);
      return null;
    }
    return CacheTraining.copyResource(Native.class, resource, work.resolve(TRAINING_DIRECTORY), "libzstd-jni.so");
  }
}

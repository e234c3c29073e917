package io.snapshotkit.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.Zstd;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ZstdLibrary}: the copy the training makes, and a copy that cannot be loaded. */
class ZstdLibraryTest {
  @TempDir Path dir;

  @Test
  @DisplayName("the training copies the library zstd-jni would extract on this platform")
  void theTrainingCopiesZstdJnisOwnLibrary() throws Exception {
    Path copy = ZstdLibrary.copyForLauncher(dir);
    assertNotNull(copy, "zstd-jni ships a library for the platform these tests run on");
    assertTrue(copy.startsWith(dir.resolve(ZstdLibrary.TRAINING_DIRECTORY)), copy.toString());
    byte[] head = Files.readAllBytes(copy);
    assertTrue(head.length > 100_000 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F',
        "an ELF shared library of its own size");
  }

  @Test
  @DisplayName("a copy that cannot be loaded is skipped and zstd still works (zstd-jni extracts its own)")
  void anUnloadableCopyIsSkipped() {
    String before = System.getProperty(ZstdLibrary.PROPERTY);
    System.setProperty(ZstdLibrary.PROPERTY, dir.resolve("vanished/libzstd-jni.so").toString());
    try {
      assertFalse(ZstdLibrary.preload());
    } finally {
      if (before == null) {
        System.clearProperty(ZstdLibrary.PROPERTY);
      } else {
        System.setProperty(ZstdLibrary.PROPERTY, before);
      }
    }
    byte[] data = "compressed by zstd ".repeat(50).getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(data, Zstd.decompress(Zstd.compress(data, 1), data.length));
  }
}

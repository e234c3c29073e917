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
  /** Lines are hashed a buffer at a time. */
  private static final int BUFFER = 12 << 10;
  long files;
  long dirs;
  long symlinks;
  long bytes;
  private final MessageDigest tree = Digest.sha256();
  /** Lines not hashed yet; made at the first entry (a summary read back from a root adds none). */
  private byte[] line;
  private int used;
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
    // the line "TYPE MODE DIGEST|TARGET PATH\n" in UTF-8, written into a buffer that is hashed
    // whenever the next line does not fit: the same bytes a String per line gave, without the String
    int chars = e.path().length() + (e.linkTarget() == null ? 0 : e.linkTarget().length());
    ensure(48 + 2 * Digest.BYTES + 3 * chars); // UTF-8: at most 3 bytes a char
    line[used++] = (byte) ('0' + e.type().ordinal());
    line[used++] = ' ';
    octal(e.mode());
    line[used++] = ' ';
    if (e.type() == FileType.FILE) {
      e.digest().writeHex(line, used);
      used += 2 * Digest.BYTES;
    } else if (e.type() == FileType.SYMLINK) {
      utf8(e.linkTarget());
    }
    line[used++] = ' ';
    utf8(e.path());
    line[used++] = '\n';
  }

  /** Makes room for {@code more} bytes, hashing what the buffer holds when they do not fit. */
  private void ensure(int more) {
    if (line == null) {
      line = new byte[Math.max(BUFFER, more)];
    } else if (more > line.length - used) {
      flush();
      if (more > line.length) {
        line = new byte[more];
      }
    }
  }

  private void flush() {
    tree.update(line, 0, used);
    used = 0;
  }

  private void octal(int mode) {
    int digits = Math.max(1, (32 - Integer.numberOfLeadingZeros(mode) + 2) / 3);
    for (int i = digits - 1; i >= 0; i--) {
      line[used + i] = (byte) ('0' + (mode & 7));
      mode >>>= 3;
    }
    used += digits;
  }

  private void utf8(String s) {
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8); // as the String line was encoded
        System.arraycopy(b, 0, line, used, b.length);
        used += b.length;
        return;
      }
      line[used + i] = (byte) c; // ASCII: each char is its own byte
    }
    used += n;
  }

  String treeDigest() {
    if (digest == null) {
      if (used > 0) {
        flush();
      }
      digest = Digest.of(tree.digest()).hex();
    }
    return digest;
  }
}

package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A snapshot's root file, the object {@code snapshots/<tenant>/<workload>/<id>.root}: the snapshot's {@link
 * Summary} and, per volume, the digest of its root directory tree. Small, written
 * once (atomically) after everything it names is durable, so a snapshot exists exactly when its
 * root file does. Text, as a properties file: {@code format=2}, the summary's lines, {@code
 * tree.<volume>=<sha256>}, and last {@code check=<sha256 of every byte before that line>}, so a
 * truncated or edited root file reads as damaged rather than as a snapshot with fewer volumes.
 */
record RootFile(Summary summary, SortedMap<String, Digest> trees) {
  static final String FORMAT = "format=2\n";
  private static final String CHECK = "check=";

  RootFile {
    trees = Collections.unmodifiableSortedMap(new TreeMap<>(trees));
  }

  byte[] format() {
    StringBuilder b = new StringBuilder(FORMAT);
    b.append(summary.format());
    trees.forEach((volume, d) -> b.append("tree.").append(volume).append('=').append(d.hex()).append('\n'));
    byte[] body = b.toString().getBytes(StandardCharsets.UTF_8);
    String check = CHECK + Digest.hash(body, 0, body.length).hex() + "\n";
    byte[] out = new byte[body.length + check.length()];
    System.arraycopy(body, 0, out, 0, body.length);
    System.arraycopy(check.getBytes(StandardCharsets.US_ASCII), 0, out, body.length, check.length());
    return out;
  }

  /**
   * Reads a root file.
   *
   * @throws java.nio.file.NoSuchFileException if it is gone
   * @throws SnapshotException CORRUPT if it is damaged
   */
  static RootFile read(ObjectStore objects, String name) throws IOException {
    return read(name, objects.get(name));
  }

  /**
   * Parses the bytes of the root file {@code name}.
   *
   * @throws SnapshotException CORRUPT if it is damaged
   */
  static RootFile read(String name, byte[] bytes) {
    try {
      return parse(bytes);
    } catch (IOException | RuntimeException e) {
      throw new SnapshotException(ErrorCode.CORRUPT, "the snapshot root file " + name.substring(name.lastIndexOf('/') + 1)
          + " is truncated or damaged; run the repository check, delete this snapshot and restore another one", e);
    }
  }

  /**
   * Parses a root file.
   *
   * @throws IOException if it is not a whole, well-formed root file
   */
  static RootFile parse(byte[] bytes) throws IOException {
    String text = new String(bytes, StandardCharsets.UTF_8);
    int at = text.lastIndexOf(CHECK);
    if (!text.startsWith(FORMAT) || at < 0 || (at > 0 && text.charAt(at - 1) != '\n')) {
      throw new IOException("not a format 2 root file");
    }
    byte[] body = text.substring(0, at).getBytes(StandardCharsets.UTF_8);
    if (!text.substring(at).equals(CHECK + Digest.hash(body, 0, body.length).hex() + "\n")) {
      throw new IOException("the root file's check does not match its content");
    }
    String properties = text.substring(FORMAT.length(), at);
    SortedMap<String, Digest> trees = new TreeMap<>();
    for (String line : properties.split("\n")) {
      if (line.startsWith("tree.")) {
        int eq = line.indexOf('=');
        trees.put(line.substring("tree.".length(), eq), Digest.parse(line.substring(eq + 1)));
      }
    }
    Summary summary = Summary.parse(properties);
    if (!summary.volumes().keySet().equals(trees.keySet())) {
      throw new IOException("the root file's volumes and trees differ");
    }
    return new RootFile(summary, trees);
  }
}

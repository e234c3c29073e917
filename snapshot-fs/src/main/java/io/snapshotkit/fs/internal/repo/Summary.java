package io.snapshotkit.fs.internal.repo;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.snapshotkit.Excludes;
import io.snapshotkit.Manifest;
import io.snapshotkit.Resource;
import io.snapshotkit.WorkloadRef;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * What a snapshot holds, in brief; stored in its root file. Immutable.
 *
 * @param excludes the exclude patterns the capture applied (each volume left out what they match)
 */
public record Summary(Instant capturedAt, boolean partial, long storedBytes, long entries,
    Map<String, VolumeStats> volumes, List<String> excludes) {

  /** Copies. */
  public Summary {
    excludes = List.copyOf(excludes);
  }

  /** A summary of a capture that excluded nothing. */
  public Summary(Instant capturedAt, boolean partial, long storedBytes, long entries,
      Map<String, VolumeStats> volumes) {
    this(capturedAt, partial, storedBytes, entries, volumes, List.of());
  }

  /** The exclude patterns the capture applied, as a matcher. */
  public Excludes excluded() {
    return Excludes.of(excludes);
  }

  /** The regular files of every volume. */
  public long fileCount() {
    return volumes.values().stream().mapToLong(v -> v.files).sum();
  }

  /** The bytes of every volume's regular files (their content, uncompressed). */
  public long fileBytes() {
    return volumes.values().stream().mapToLong(v -> v.bytes).sum();
  }

  String format() {
    StringBuilder b = new StringBuilder();
    b.append("capturedAt=").append(capturedAt).append('\n');
    b.append("partial=").append(partial).append('\n');
    b.append("storedBytes=").append(storedBytes).append('\n');
    b.append("entries=").append(entries).append('\n');
    volumes.forEach((name, v) -> b.append("volume.").append(name).append('=').append(v.files).append(',')
        .append(v.dirs).append(',').append(v.symlinks).append(',').append(v.bytes).append(',')
        .append(v.treeDigest()).append('\n'));
    if (!excludes.isEmpty()) {
      // each pattern as base64 of its UTF-8: any character survives the properties format
      List<String> encoded = new ArrayList<>();
      excludes.forEach(x -> encoded.add(Base64.getUrlEncoder().withoutPadding()
          .encodeToString(x.getBytes(StandardCharsets.UTF_8))));
      b.append("excludes=").append(String.join(",", encoded)).append('\n');
    }
    return b.toString();
  }

  static Summary parse(String text) throws IOException {
    Properties p = new Properties();
    p.load(new StringReader(text));
    Map<String, VolumeStats> volumes = new TreeMap<>();
    for (String key : p.stringPropertyNames()) {
      if (key.startsWith("volume.")) {
        String[] f = p.getProperty(key).split(",");
        VolumeStats v = new VolumeStats();
        v.files = Long.parseLong(f[0]);
        v.dirs = Long.parseLong(f[1]);
        v.symlinks = Long.parseLong(f[2]);
        v.bytes = Long.parseLong(f[3]);
        v.digest = f[4];
        volumes.put(key.substring("volume.".length()), v);
      }
    }
    List<String> excludes = new ArrayList<>();
    String encoded = p.getProperty("excludes", "");
    if (!encoded.isEmpty()) {
      for (String x : encoded.split(",")) {
        excludes.add(new String(Base64.getUrlDecoder().decode(x), StandardCharsets.UTF_8));
      }
    }
    return new Summary(Instant.parse(p.getProperty("capturedAt")), Boolean.parseBoolean(p.getProperty("partial")),
        Long.parseLong(p.getProperty("storedBytes")), Long.parseLong(p.getProperty("entries")), volumes, excludes);
  }

  public Manifest toManifest(WorkloadRef workload) {
    List<Resource> list = new ArrayList<>();
    volumes.forEach((name, v) -> {
      ObjectNode doc = JsonNodeFactory.instance.objectNode();
      doc.put("files", v.files);
      doc.put("dirs", v.dirs);
      doc.put("symlinks", v.symlinks);
      doc.put("bytes", v.bytes);
      doc.put("treeDigest", v.treeDigest());
      if (!excludes.isEmpty()) {
        excludes.forEach(doc.putArray("excludes")::add);
      }
      list.add(new Resource(name, name, doc));
    });
    return Manifest.of(capturedAt, workload, partial, Map.of(FsRepository.FAMILY, list));
  }
}

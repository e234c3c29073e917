package io.snapshotkit.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.Manifest;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.files.AtomicFiles;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.RestoreRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Snapshots as directory trees, end to end on real directories: for random trees and random
 * edit sequences (files added, rewritten, removed, directories added and removed, modes changed,
 * links retargeted), with gc and deletes interleaved, every snapshot still held restores byte for
 * byte, and the diff of any two snapshots (which skips subtrees equal by digest) names exactly
 * the paths whose restored state differs.
 */
class FsTreePropertyTest {
  private static final WorkloadRef W = WorkloadRef.of("acme", "trees");

  @Property(tries = 25, seed = "20261202")
  @Label("every snapshot restores byte for byte and diff(a, b) equals the diff of the restored trees, gc interleaved")
  void snapshotsRestoreAndDiffExactly(@ForAll long seed, @ForAll @IntRange(min = 3, max = 7) int rounds)
      throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    Path dir = new MemoryTempDir().createTempDirectory(null, null);
    Path volume = dir.resolve("live");
    Map<SnapshotId, Map<String, String>> expected = new LinkedHashMap<>();
    try (FsHostAgent agent = FsHostAgent.builder().repository(dir.resolve("repo"))
        .racyCutoff(() -> Long.MAX_VALUE).packLimit(4 << 10).build()) {
      Files.createDirectories(volume);
      for (int i = 0; i < 12; i++) {
        edit(volume, random);
      }
      agent.track(W, Map.of("v", volume));
      for (int round = 0; round < rounds; round++) {
        int edits = random.nextInt(5);
        for (int i = 0; i < edits; i++) {
          edit(volume, random);
        }
        SnapshotId id = SnapshotId.generate(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(round),
            new SplittableRandom(random.nextLong()));
        agent.capture(new CaptureRequest(W, id, Optional.empty(), Optional.empty(), false));
        expected.put(id, Trees.state(volume, false));
        if (expected.size() > 2 && random.nextInt(3) == 0) {
          List<SnapshotId> held = new ArrayList<>(expected.keySet());
          SnapshotId victim = held.get(random.nextInt(held.size() - 1));
          agent.delete(W, victim);
          expected.remove(victim);
        }
        if (random.nextBoolean()) {
          agent.gc();
        }
      }
      agent.gc();
      CheckReport check = agent.check(false);
      assertTrue(check.ok(), check.toString());
      Map<SnapshotId, Map<String, String>> restored = new LinkedHashMap<>();
      for (Map.Entry<SnapshotId, Map<String, String>> e : expected.entrySet()) {
        Path target = dir.resolve("restore-" + e.getKey().value());
        Manifest m = agent.repository().manifest(W, e.getKey()).orElseThrow();
        agent.restore(new RestoreRequest(W, e.getKey(), m, RestoreMode.REPLACE, Optional.of(target.toString()),
            List.of()));
        Map<String, String> state = Trees.state(target.resolve("v"), false);
        assertEquals(e.getValue(), state, "snapshot " + e.getKey());
        restored.put(e.getKey(), state);
      }
      List<SnapshotId> held = new ArrayList<>(restored.keySet());
      for (SnapshotId a : held) {
        for (SnapshotId b : held) {
          List<String> changed = new ArrayList<>();
          agent.diff(W, a, Optional.of(b), c -> changed.add(c.key()));
          assertEquals(List.copyOf(changedPaths(restored.get(a), restored.get(b))), changed,
              "diff " + a + " -> " + b);
        }
      }
    } finally {
      AtomicFiles.deleteTree(dir);
    }
  }

  /** The keys ({@code v:path}) whose state differs, in {@link FileEntry#ORDER}. */
  private static TreeSet<String> changedPaths(Map<String, String> a, Map<String, String> b) {
    TreeSet<String> out = new TreeSet<>((x, y) -> io.snapshotkit.fs.internal.repo.PathOrder.compare(x, y));
    TreeMap<String, String> all = new TreeMap<>(a);
    b.forEach(all::putIfAbsent);
    for (String p : all.keySet()) {
      if (!java.util.Objects.equals(a.get(p), b.get(p))) {
        out.add("v:" + p);
      }
    }
    return out;
  }

  /** One random edit under {@code volume}, at most three directories deep. */
  private static void edit(Path volume, SplittableRandom random) throws IOException {
    StringBuilder rel = new StringBuilder();
    int depth = random.nextInt(4);
    for (int i = 0; i < depth; i++) {
      rel.append(i == 0 ? "" : "/").append("d").append(random.nextInt(3)).append(i == 0 && random.nextBoolean() ? ".x" : "");
    }
    Path parent = depth == 0 ? volume : volume.resolve(rel.toString());
    Path p = parent.resolve("f" + random.nextInt(4));
    for (Path at = volume; !at.equals(parent); ) {
      at = at.resolve(parent.getName(at.getNameCount()));
      if (Files.exists(at, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS)) {
        Files.delete(at);
      }
    }
    switch (random.nextInt(7)) {
      case 0 -> AtomicFiles.deleteTree(p);
      case 1 -> {
        if (depth > 0) {
          AtomicFiles.deleteTree(parent);
        }
      }
      case 2 -> {
        AtomicFiles.deleteTree(p);
        Files.createDirectories(p.getParent());
        Files.createSymbolicLink(p, Path.of("target-" + random.nextInt(3)));
      }
      case 3 -> {
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(random.nextBoolean() ? "rwx------" : "rw-r-----"));
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(random.nextBoolean() ? "rwx------" : "rwxr-x---"));
        }
      }
      case 4 -> {
        AtomicFiles.deleteTree(p);
        Files.createDirectories(p);
      }
      default -> {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(p)) {
          AtomicFiles.deleteTree(p);
        }
        byte[] data = new byte[random.nextInt(3) == 0 ? 5000 + random.nextInt(3000) : random.nextInt(200)];
        random.nextBytes(data);
        Trees.write(p, data);
      }
    }
  }
}

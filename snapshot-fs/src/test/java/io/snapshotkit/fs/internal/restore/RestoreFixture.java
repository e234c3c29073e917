package io.snapshotkit.fs.internal.restore;

import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.fs.internal.capture.Scanner;
import io.snapshotkit.fs.internal.repo.Digest;
import io.snapshotkit.fs.internal.repo.FsRepository;
import io.snapshotkit.fs.internal.repo.SnapshotWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Test helpers for restore and recovery: build volumes, capture them straight into a repository,
 * and describe a whole tree (types, modes, content, link targets, mtimes, empty directories) as a
 * comparable map.
 */
public final class RestoreFixture {
  public static final WorkloadRef WORKLOAD = WorkloadRef.of("acme", "app-1");
  public static final Instant CAPTURED_AT = Instant.parse("2026-11-22T12:00:00Z");

  private RestoreFixture() {}

  /** Captures the volumes (full rescan) as snapshot {@code id}. */
  public static SnapshotId capture(FsRepository repo, String id, Map<String, Path> volumes) {
    SnapshotId sid = SnapshotId.parse(id);
    try (SnapshotWriter writer = repo.begin(WORKLOAD, sid)) {
      Scanner scanner = new Scanner(writer.session(), null, null, true);
      for (Map.Entry<String, Path> v : new TreeMap<>(volumes).entrySet()) {
        writer.volume(v.getKey());
        scanner.scan(v.getKey(), v.getValue(), null, writer::add);
      }
      writer.commit(CAPTURED_AT, scanner.partial());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return sid;
  }

  /**
   * The packs holding the content of a file of snapshot {@code id} (found by its digest in their
   * index), not those holding only its directory trees.
   */
  public static List<Path> contentPacks(FsRepository repo, SnapshotId id) throws IOException {
    List<String> digests = new ArrayList<>();
    try (var entries = repo.entries(WORKLOAD, id)) {
      entries.forEachRemaining(e -> {
        if (e.digest() != null) {
          digests.add(e.digest().hex());
        }
      });
    }
    // Each capture's index file lists its pack by name in its trailer and each record's raw digest;
    // a snapshot's trees are packed apart from its files, so only the packs of files are named.
    List<Path> packs = new ArrayList<>();
    java.util.regex.Pattern packName = java.util.regex.Pattern.compile("p-[0-9a-f-]{36}\\.pack");
    try (Stream<Path> walk = Files.walk(repo.root().resolve("index"))) {
      for (Path idx : walk.filter(Files::isRegularFile).toList()) {
        byte[] bytes = Files.readAllBytes(idx);
        String hex = HexFormat.of().formatHex(bytes);
        if (digests.stream().anyMatch(hex::contains)) {
          java.util.regex.Matcher m = packName.matcher(new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1));
          while (m.find()) {
            Path pack = repo.root().resolve("packs").resolve(m.group());
            if (!packs.contains(pack)) {
              packs.add(pack);
            }
          }
        }
      }
    }
    return packs;
  }

  /** A volume with nested dirs, an empty dir, odd modes, two kinds of symlink and a larger file. */
  public static void populate(Path root, String flavour) throws IOException {
    Files.createDirectories(root);
    write(root.resolve("readme.txt"), flavour + " readme\n", "rw-r--r--", 1_600_000_000_000L);
    write(root.resolve("bin/run.sh"), "#!/bin/sh\necho " + flavour + "\n", "rwxr-x---", 1_600_000_100_000L);
    write(root.resolve("conf/secret.key"), "k-" + flavour, "r--------", 1_600_000_200_000L);
    write(root.resolve("conf/deep/er/leaf.cfg"), "leaf=" + flavour, "rw-rw----", 1_600_000_300_000L);
    byte[] big = new byte[300_000];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31 + flavour.hashCode());
    }
    Files.write(root.resolve("data.bin"), big);
    Files.createDirectories(root.resolve("empty/inner"));
    Files.setPosixFilePermissions(root.resolve("empty/inner"), PosixFilePermissions.fromString("rwx------"));
    Files.createSymbolicLink(root.resolve("current"), Path.of("conf/secret.key"));
    Files.createSymbolicLink(root.resolve("outside"), Path.of("/nonexistent-sk-target/file"));
    Files.setLastModifiedTime(root.resolve("conf/deep"), FileTime.fromMillis(1_500_000_000_000L));
  }

  /** Changes a populated volume in every way a restore must undo. */
  public static void mutate(Path root) throws IOException {
    Files.writeString(root.resolve("readme.txt"), "changed after the snapshot\n");
    Files.delete(root.resolve("conf/secret.key"));
    Files.writeString(root.resolve("conf/new.cfg"), "added after the snapshot");
    Files.setPosixFilePermissions(root.resolve("bin/run.sh"), PosixFilePermissions.fromString("rw-------"));
    Files.delete(root.resolve("current"));
    Files.createSymbolicLink(root.resolve("current"), Path.of("readme.txt"));
    Files.delete(root.resolve("empty/inner"));
    Files.createDirectories(root.resolve("later/dir"));
  }

  public static void write(Path file, String text, String perms, long mtimeMillis) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(perms));
    Files.setLastModifiedTime(file, FileTime.fromMillis(mtimeMillis));
  }

  /**
   * Every entry under {@code root}, not following symlinks: relative path → type, permission bits,
   * content digest or link target, and the mtime of files and links (and of directories when
   * {@code dirTimes}). The root itself is left out.
   */
  public static Map<String, String> tree(Path root, boolean dirTimes) {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (p.equals(root)) {
          continue;
        }
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String d;
        if (a.isSymbolicLink()) {
          d = "link -> " + Files.readSymbolicLink(p) + " @" + a.lastModifiedTime().toMillis();
        } else {
          String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
          if (a.isDirectory()) {
            d = "dir " + perms + (dirTimes ? " @" + a.lastModifiedTime().toMillis() : "");
          } else {
            d = "file " + perms + " " + HexFormat.of().formatHex(Digest.sha256().digest(Files.readAllBytes(p)))
                + " @" + a.lastModifiedTime().toMillis();
          }
        }
        out.put(root.relativize(p).toString(), d);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** Names in a directory, sorted (to spot staging debris beside the volumes). */
  public static List<String> list(Path dir) {
    List<String> names = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.forEach(p -> names.add(p.getFileName().toString()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    names.sort(null);
    return names;
  }
}

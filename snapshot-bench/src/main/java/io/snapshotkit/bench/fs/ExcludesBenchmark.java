package io.snapshotkit.bench.fs;

import io.snapshotkit.Excludes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What exclude matching adds to a capture's scan, per entry.
 *
 * <p>{@code match}: {@link Excludes#excludesEntry} of a typical twelve-pattern set (literal names,
 * suffixes, anchored paths, {@code **}, a character class, a negation) on each of {@value #ENTRIES}
 * entries of a source tree, as the scanner asks it once per entry it meets.
 *
 * <p>{@code stat} (anchor): the one {@code Files.readAttributes(..., "unix:...", NOFOLLOW_LINKS)}
 * the scanner already makes for each entry, on the same entries as real files (page cache warm).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ExcludesBenchmark {
  static final int ENTRIES = 4096;
  private static final String ATTRS = "unix:mode,uid,gid,ino,ctime,size,lastModifiedTime,isDirectory,isRegularFile,isSymbolicLink";

  private Path root;
  private final List<String> rel = new ArrayList<>();
  private final List<Path> paths = new ArrayList<>();
  private final List<Boolean> dirs = new ArrayList<>();
  private Excludes excludes;

  @Setup
  public void setUp() throws IOException {
    excludes = Excludes.of(List.of("node_modules/", ".git/", "target/", "/build", "dist/", "*.log", "!keep.log",
        "**/cache/**", "*.py[cod]", "*.tmp", "docs/**/*.pdf", ".DS_Store"));
    root = Files.createTempDirectory("excludes-bench");
    String[] dirNames = {"src", "src/main", "src/main/java", "src/test", "lib", "docs", "docs/api", "web", "web/css"};
    String[] exts = {".java", ".js", ".md", ".txt", ".json", ".py", ".css", ".html"};
    for (String d : dirNames) {
      Files.createDirectories(root.resolve(d));
      rel.add(d);
      paths.add(root.resolve(d));
      dirs.add(true);
    }
    for (int i = 0; rel.size() < ENTRIES; i++) {
      String r = dirNames[i % dirNames.length] + "/file" + i + exts[i % exts.length];
      Files.writeString(root.resolve(r), "x");
      rel.add(r);
      paths.add(root.resolve(r));
      dirs.add(false);
    }
  }

  @TearDown
  public void tearDown() throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Benchmark
  @OperationsPerInvocation(ENTRIES)
  public void match(Blackhole bh) {
    for (int i = 0; i < ENTRIES; i++) {
      bh.consume(excludes.excludesEntry(rel.get(i), dirs.get(i)));
    }
  }

  @Benchmark
  @OperationsPerInvocation(ENTRIES)
  public void stat(Blackhole bh) throws IOException {
    for (int i = 0; i < ENTRIES; i++) {
      bh.consume(Files.readAttributes(paths.get(i), ATTRS, LinkOption.NOFOLLOW_LINKS));
    }
  }
}

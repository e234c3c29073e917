package io.snapshotkit.fs.internal.repo;

/** Tree order of {@code /}-separated paths: {@code /} sorts before every other character. */
public final class PathOrder {
  private PathOrder() {}

  public static int compare(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      char x = a.charAt(i);
      char y = b.charAt(i);
      if (x != y) {
        if (x == '/') {
          return -1;
        }
        if (y == '/') {
          return 1;
        }
        return Character.compare(x, y);
      }
    }
    return Integer.compare(a.length(), b.length());
  }

  /** Compares (volume, path) keys. */
  public static int compare(String volumeA, String pathA, String volumeB, String pathB) {
    int byVolume = volumeA.compareTo(volumeB);
    return byVolume != 0 ? byVolume : compare(pathA, pathB);
  }
}

package io.snapshotkit.fs.internal.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * POSIX modes and owners as the module writes them: which setuid and setgid bits a restored entry
 * keeps, whether this process writes as root, and the conversion between modes and permission sets.
 */
public final class Modes {
  /** What {@code /proc/self/status} says of this process (null until first asked). */
  private static volatile ProcessStatus status;

  /**
   * The two fields of {@code /proc/self/status} the module uses, read once: whether the
   * filesystem uid is 0, and the umask (-1 if unknown).
   */
  private record ProcessStatus(boolean writesAsRoot, int umask) {
    static ProcessStatus read() {
      boolean root = false;
      int umask = -1;
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("Uid:")) {
            String[] ids = line.substring(4).trim().split("\\s+");
            root = ids.length == 4 && ids[3].equals("0");
          } else if (line.startsWith("Umask:")) {
            try {
              umask = Integer.parseInt(line.substring(6).trim(), 8) & 0777;
            } catch (NumberFormatException e) {
              umask = -1; // unknown: files are chmodded after creation, as without it
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        return new ProcessStatus(false, -1);
      }
      return new ProcessStatus(root, umask);
    }
  }

  private static ProcessStatus status() {
    ProcessStatus s = status;
    if (s == null) {
      s = ProcessStatus.read();
      status = s;
    }
    return s;
  }

  private Modes() {}

  /**
   * The mode to give an entry restored from the repository: {@code mode} ({@code 07777}) without
   * the setuid bit unless the entry's uid is the recorded one, and without the setgid bit unless
   * its gid is the recorded one; the sticky bit and the permission bits are kept.
   *
   * @param mode the recorded mode
   * @param recordedUid the recorded uid, or {@link SafeTree#NO_OWNER}
   * @param recordedGid the recorded gid, or {@link SafeTree#NO_OWNER}
   * @param uid the uid the restored entry has
   * @param gid the gid the restored entry has
   * @return the mode to set
   */
  public static int keptMode(int mode, int recordedUid, int recordedGid, int uid, int gid) {
    int kept = mode & 07777;
    if (recordedUid == SafeTree.NO_OWNER || recordedUid != uid) {
      kept &= ~04000;
    }
    if (recordedGid == SafeTree.NO_OWNER || recordedGid != gid) {
      kept &= ~02000;
    }
    return kept;
  }

  /**
   * Whether the files this process creates belong to root: its filesystem uid (the fourth
   * {@code Uid:} field of {@code /proc/self/status}) is 0. False where that cannot be read (not
   * Linux): no owner is set then, and setuid and setgid bits are judged by the writer's own.
   */
  public static boolean writesAsRoot() {
    return status().writesAsRoot();
  }

  /**
   * The process's file mode creation mask (the {@code Umask:} field of {@code /proc/self/status},
   * Linux 4.7 and later), read once; -1 where that cannot be read. Java cannot change the umask,
   * so once read it holds unless native code changes it.
   */
  public static int umask() {
    return status().umask();
  }

  /** The permission set for the low nine bits of a POSIX mode; higher bits are dropped. */
  public static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
    for (int bit = 0; bit < order.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        set.add(order[bit]);
      }
    }
    return set;
  }

  /** The low nine bits of a POSIX mode for a permission set. */
  public static int mode(Set<PosixFilePermission> permissions) {
    Objects.requireNonNull(permissions, "permissions");
    int mode = 0;
    for (PosixFilePermission p : permissions) {
      mode |= switch (p) {
        case OWNER_READ -> 0400;
        case OWNER_WRITE -> 0200;
        case OWNER_EXECUTE -> 0100;
        case GROUP_READ -> 040;
        case GROUP_WRITE -> 020;
        case GROUP_EXECUTE -> 010;
        case OTHERS_READ -> 04;
        case OTHERS_WRITE -> 02;
        case OTHERS_EXECUTE -> 01;
      };
    }
    return mode;
  }
}

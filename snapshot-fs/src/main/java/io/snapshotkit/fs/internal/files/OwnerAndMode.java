package io.snapshotkit.fs.internal.files;

import io.snapshotkit.SnapshotException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How one {@link SafeTree} gives a written entry its owner and mode, by the tree's {@link
 * SafeTree.Origin}: a stored tree gets its recorded owner (as root) and its full mode with the
 * setuid and setgid bits judged by the owner the entry ends up with ({@link Modes#keptMode}); an
 * imported tree gets permission bits only. Counts what could not be restored as recorded.
 *
 * <p><b>Thread-safety:</b> safe for concurrent use (file writes of one tree may run on several threads).
 */
final class OwnerAndMode {
  private static final int SET_ID_BITS = 06000;

  private final SafeTree.Origin origin;
  private final AtomicLong specialBitsStripped = new AtomicLong();
  private final AtomicLong ownersNotSet = new AtomicLong();

  OwnerAndMode(SafeTree.Origin origin) {
    this.origin = origin;
  }

  /** Entries whose setuid or setgid bit was not restored (see {@link SafeTree#specialBitsStripped()}). */
  long specialBitsStripped() {
    return specialBitsStripped.get();
  }

  /** Entries whose recorded owner could not be set although the tree writes as root. */
  long ownersNotSet() {
    return ownersNotSet.get();
  }

  /** How a file is created: never through or over an existing entry. */
  private static final Set<OpenOption> CREATE_NEW = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
      LinkOption.NOFOLLOW_LINKS);

  /**
   * Creates a file for writing, never through or over an existing entry. Where the umask is known
   * ({@link Modes#umask()}) it is created with {@code mode}'s permission bits, so that when the
   * umask takes none of them away {@link #settle} need not chmod it ({@link #createdMode}).
   */
  static FileChannel create(Path target, int mode) throws IOException {
    if (Modes.umask() < 0) {
      return FileChannel.open(target, CREATE_NEW);
    }
    return FileChannel.open(target, CREATE_NEW, PosixFilePermissions.asFileAttribute(Modes.permissions(mode & 0777)));
  }

  /** The permission bits a file made by {@link #create} has, or -1 if unknown. */
  static int createdMode(int mode) {
    int umask = Modes.umask();
    return umask < 0 ? -1 : mode & 0777 & ~umask;
  }

  /**
   * Gives an entry just written its owner, when this tree may, then its mode (none for a link),
   * judging the setuid and setgid bits by the owner it ends up with (see the class comment).
   *
   * @param created the permission bits the entry was created with, or -1 if unknown: a mode
   *     equal to them is not applied again (a chown leaves permission bits alone; only setuid and
   *     setgid, which always take the full path, could change)
   */
  void settle(Path path, int mode, int uid, int gid, boolean link, int created) {
    if (origin == SafeTree.Origin.IMPORT) {
      if (!link && (mode & 0777) != created) {
        applyMode(path, mode & 0777);
      }
      return;
    }
    int[] owner = null;
    if (uid != SafeTree.NO_OWNER && Modes.writesAsRoot()) {
      try {
        Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        owner = new int[] {uid, gid};
      } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
        // an id this system cannot hold (an unmapped id in a user namespace), or no CAP_CHOWN:
        // the entry stays the writer's, and its setuid and setgid bits are judged by that below
        ownersNotSet.incrementAndGet();
      }
    }
    if (link) {
      return;
    }
    int wanted = mode & 07777;
    if ((wanted & SET_ID_BITS) == 0) {
      if (wanted != created) {
        applyMode(path, wanted);
      }
      return;
    }
    if (owner == null) {
      owner = ownerOf(path);
    }
    int kept = Modes.keptMode(wanted, uid, gid, owner[0], owner[1]);
    applyMode(path, kept);
    if (owner[0] != 0 && (kept & SET_ID_BITS) != 0) {
      // not root: the kernel silently clears setgid on a file whose group the writer is not in
      kept &= modeOf(path) | ~SET_ID_BITS;
    }
    if (kept != wanted) {
      specialBitsStripped.incrementAndGet();
    }
  }

  private int[] ownerOf(Path path) {
    try {
      Map<String, Object> a = Files.readAttributes(path, "unix:uid,gid", LinkOption.NOFOLLOW_LINKS);
      return new int[] {(Integer) a.get("uid"), (Integer) a.get("gid")};
    } catch (IOException e) {
      throw io("reading the owner of " + path, e);
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      // no unix view (not Linux): no owner can be compared, so no setuid or setgid bit is kept
      return new int[] {SafeTree.NO_OWNER, SafeTree.NO_OWNER};
    }
  }

  private int modeOf(Path path) {
    try {
      return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    } catch (IOException e) {
      throw io("reading the mode of " + path, e);
    }
  }

  private void applyMode(Path path, int mode) {
    int bits = origin == SafeTree.Origin.STORED ? mode & 07777 : mode & 0777;
    try {
      Files.setAttribute(path, "unix:mode", bits, LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      // no unix view (not Linux): the permission bits are what POSIX can set
      PosixFileAttributeView view =
          Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
      if (view != null) {
        try {
          view.setPermissions(Modes.permissions(mode));
        } catch (IOException io) {
          throw io("setting the mode of " + path, io);
        }
      }
    } catch (IOException e) {
      throw io("setting the mode of " + path, e);
    }
  }

  private static SnapshotException io(String what, IOException e) {
    return SnapshotException.wrap(what, e);
  }
}

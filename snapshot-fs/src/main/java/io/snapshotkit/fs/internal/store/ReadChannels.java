package io.snapshotkit.fs.internal.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Open read channels of the most recently read files, so that many range reads of one file (a
 * restore's contents, a diff's trees: hundreds to tens of thousands per pack) share one open
 * instead of an open, a read and a close each. Positional reads on a {@link FileChannel} are safe
 * from several threads at once.
 *
 * <p>A channel is closed when it falls out of the most recent {@code capacity}, when its file is
 * deleted through {@link #forget} and when this is closed, in each case once no read is using it.
 * Only immutable files may be read through it: a channel keeps reading the file it opened, so a
 * file replaced under its name would be read stale (the local store's packs are written once and
 * never replaced; a deleted one is forgotten first).
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class ReadChannels implements AutoCloseable {
  private final int capacity;
  private final Map<Path, Ref> open = new LinkedHashMap<>(16, 0.75f, true);
  private boolean closed;

  ReadChannels(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity " + capacity);
    }
    this.capacity = capacity;
  }

  /** One open channel and the reads using it. Guarded by the enclosing instance's lock. */
  static final class Ref {
    final FileChannel channel;
    private int users;
    private boolean retired;

    private Ref(FileChannel channel) {
      this.channel = channel;
    }
  }

  /** The channel of {@code file}, opened if none is; {@link #release} it after the read. */
  Ref acquire(Path file) throws IOException {
    synchronized (this) {
      if (!closed) {
        Ref r = open.get(file);
        if (r != null) {
          r.users++;
          return r;
        }
      }
    }
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    List<FileChannel> toClose = new ArrayList<>(1);
    Ref mine = new Ref(ch);
    mine.users = 1;
    synchronized (this) {
      Ref raced = closed ? null : open.get(file);
      if (raced != null) {
        raced.users++;
        toClose.add(ch);
        mine = raced;
      } else if (closed) {
        mine.retired = true; // used once, closed on release
      } else {
        open.put(file, mine);
        Iterator<Ref> eldest = open.values().iterator();
        while (open.size() > capacity) {
          Ref r = eldest.next();
          eldest.remove();
          retire(r, toClose);
        }
      }
    }
    closeAll(toClose);
    return mine;
  }

  /** Ends a read of {@code r}'s channel. */
  void release(Ref r) throws IOException {
    boolean close;
    synchronized (this) {
      r.users--;
      close = r.retired && r.users == 0;
    }
    if (close) {
      r.channel.close();
    }
  }

  /** Closes {@code file}'s channel (once its reads end): the file is about to be deleted. */
  void forget(Path file) throws IOException {
    List<FileChannel> toClose = new ArrayList<>(1);
    synchronized (this) {
      Ref r = open.remove(file);
      if (r != null) {
        retire(r, toClose);
      }
    }
    closeAll(toClose);
  }

  /** How many channels are open (for tests). */
  synchronized int size() {
    return open.size();
  }

  @Override
  public void close() throws IOException {
    List<FileChannel> toClose = new ArrayList<>();
    synchronized (this) {
      closed = true;
      for (Ref r : open.values()) {
        retire(r, toClose);
      }
      open.clear();
    }
    closeAll(toClose);
  }

  private static void retire(Ref r, List<FileChannel> toClose) {
    r.retired = true;
    if (r.users == 0) {
      toClose.add(r.channel);
    }
  }

  private static void closeAll(List<FileChannel> channels) throws IOException {
    IOException failed = null;
    for (FileChannel ch : channels) {
      try {
        ch.close();
      } catch (IOException e) {
        if (failed == null) {
          failed = e;
        } else {
          failed.addSuppressed(e);
        }
      }
    }
    if (failed != null) {
      throw failed;
    }
  }
}

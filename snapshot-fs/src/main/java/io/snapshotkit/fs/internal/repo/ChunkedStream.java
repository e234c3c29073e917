package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.fs.internal.files.OrderedWork;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;

/**
 * The bytes of a chunked content: its chunks in order, each read, decompressed and verified
 * against its digest a few chunks ahead of the reader on the store's executor (through {@link
 * OrderedWork}, so at most {@link #AHEAD} chunks are in memory and a busy executor cannot stall
 * it), and the total length checked at the end.
 *
 * <p>Not thread-safe: one reader.
 */
final class ChunkedStream extends InputStream {
  /** Chunks decompressed ahead of the reader (at most this many x 512 KiB held). */
  static final int AHEAD = 8;

  private final ContentStore store;
  private final Digest digest;
  private final ChunkList list;
  private final ArrayDeque<byte[]> ready = new ArrayDeque<>();
  private final OrderedWork<byte[]> work;
  private int submitted;
  private boolean finished;
  private byte[] current;
  private int pos;
  private long delivered;

  ChunkedStream(ContentStore store, Digest digest, ChunkList list) {
    this.store = store;
    this.digest = digest;
    this.list = list;
    this.work = new OrderedWork<>(store.executor, AHEAD, ready::addLast);
  }

  /** The next chunk's bytes, or null at the end. */
  private byte[] nextChunk() throws IOException {
    while (ready.isEmpty()) {
      if (submitted < list.chunks().size()) {
        int i = submitted++;
        Digest c = list.chunks().get(i);
        int length = list.lengths()[i];
        work.submit(() -> {
          byte[] b = store.object(c);
          if (b.length != length) {
            throw ContentStore.corrupt(digest, null);
          }
          return b;
        });
      } else if (!finished) {
        finished = true;
        work.finish();
      } else {
        return null;
      }
    }
    return ready.removeFirst();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (current == null || pos == current.length) {
      current = nextChunk();
      pos = 0;
      if (current == null) {
        if (delivered != list.totalLength()) {
          throw ContentStore.corrupt(digest, null);
        }
        return -1;
      }
    }
    int n = Math.min(len, current.length - pos);
    System.arraycopy(current, pos, b, off, n);
    pos += n;
    delivered += n;
    return n;
  }

  @Override
  public void close() {
    work.close();
    ready.clear();
  }
}

package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.fs.internal.files.OrderedWork;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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

  /**
   * Writes a chunked content into {@code out}, each chunk at its own offset: every chunk is
   * read, decompressed, verified and written by whichever thread runs its item (the store's
   * executor, up to {@link #AHEAD} at once through {@link OrderedWork}, or the calling thread for
   * an item nobody has started, so a busy executor cannot stall it), in any order. The lengths
   * are checked against the list's total before anything is written.
   *
   * @return the bytes written
   */
  static long writeTo(ContentStore store, Digest digest, ChunkList list, FileChannel out) throws IOException {
    long sum = 0;
    for (int n : list.lengths()) {
      sum += n;
    }
    if (sum != list.totalLength() || list.lengths().length != list.chunks().size()) {
      throw ContentStore.corrupt(digest, null);
    }
    long[] written = {0};
    try (OrderedWork<Integer> work = new OrderedWork<>(store.executor, AHEAD, n -> written[0] += n)) {
      long offset = 0;
      for (int i = 0; i < list.chunks().size(); i++) {
        Digest c = list.chunks().get(i);
        int length = list.lengths()[i];
        long at = offset;
        work.submit(() -> {
          byte[] b = store.object(c);
          if (b.length != length) {
            throw ContentStore.corrupt(digest, null);
          }
          writeFully(out, b, at);
          return length;
        });
        offset += length;
      }
      work.finish();
    }
    return written[0];
  }

  /** Writes all of {@code bytes} at {@code position} of {@code out} (a positional write: thread-safe). */
  static void writeFully(FileChannel out, byte[] bytes, long position) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    while (buf.hasRemaining()) {
      out.write(buf, position + buf.position());
    }
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

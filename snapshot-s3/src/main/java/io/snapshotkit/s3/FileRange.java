package io.snapshotkit.s3;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A range of a file as a stream, read with positional reads: an upload's body read back from the
 * cache file it was spooled to. A file that ends before the range does fails with {@link
 * EOFException} rather than sending a short body.
 *
 * <p>Not thread-safe: one reader.
 */
final class FileRange extends InputStream {
  private final FileChannel channel;
  private final Path file;
  private long position;
  private long remaining;

  private FileRange(FileChannel channel, Path file, long offset, long length) {
    this.channel = channel;
    this.file = file;
    this.position = offset;
    this.remaining = length;
  }

  /** Opens {@code length} bytes of {@code file} from {@code offset}. */
  static FileRange open(Path file, long offset, long length) throws IOException {
    return new FileRange(FileChannel.open(file, StandardOpenOption.READ), file, offset, length);
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (remaining == 0) {
      return -1;
    }
    int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, remaining)), position);
    if (n < 0) {
      throw new EOFException(file + " ends " + remaining + " bytes before the range being uploaded");
    }
    position += n;
    remaining -= n;
    return n;
  }

  @Override
  public long skip(long n) {
    long k = Math.max(0, Math.min(n, remaining));
    position += k;
    remaining -= k;
    return k;
  }

  @Override
  public int available() {
    return (int) Math.min(Integer.MAX_VALUE, remaining);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}

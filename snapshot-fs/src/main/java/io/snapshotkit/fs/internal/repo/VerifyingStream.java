package io.snapshotkit.fs.internal.repo;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;

/** Verifies a digest at end of stream; damaged zstd frames are CORRUPT too. */
final class VerifyingStream extends FilterInputStream {
  private final MessageDigest md = Digest.sha256();
  private final Digest expected;
  private boolean verified;

  VerifyingStream(InputStream in, Digest expected) {
    super(in);
    this.expected = expected;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n;
    try {
      n = super.read(b, off, len);
    } catch (IOException e) {
      if (e instanceof NoSuchFileException) {
        throw e;
      }
      throw ContentStore.corrupt(expected, e);
    }
    if (n > 0) {
      md.update(b, off, n);
    } else if (n < 0 && !verified) {
      verified = true;
      if (!Digest.of(md.digest()).equals(expected)) {
        throw ContentStore.corrupt(expected, null);
      }
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    throw new IOException("stored content is read in full so that it can be verified");
  }
}

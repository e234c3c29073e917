package io.snapshotkit.fs.internal.repo;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The content store's zstd compression: pooled compression and decompression contexts. A context
 * is costly to create (several times the cost of compressing a small file), so each is reused;
 * one thread uses a context at a time, and the pools hold at most one per thread.
 */
final class ZstdCodec {
  private final int level;
  private final ConcurrentLinkedQueue<ZstdCompressCtx> compressors = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<ZstdDecompressCtx> decompressors = new ConcurrentLinkedQueue<>();

  ZstdCodec(int level) {
    this.level = level;
  }

  /** The largest compressed size of {@code length} bytes. */
  static int compressBound(int length) {
    return Math.toIntExact(Zstd.compressBound(length));
  }

  /** Compresses into {@code out} (at least {@link #compressBound} long); returns the compressed length. */
  int compress(byte[] data, int length, byte[] out) {
    ZstdCompressCtx ctx = compressors.poll();
    if (ctx == null) {
      ctx = new ZstdCompressCtx();
      ctx.setLevel(level);
    }
    try {
      return ctx.compressByteArray(out, 0, out.length, data, 0, length);
    } finally {
      compressors.offer(ctx);
    }
  }

  byte[] decompress(byte[] compressed, int rawSize) {
    ZstdDecompressCtx ctx = decompressors.poll();
    if (ctx == null) {
      ctx = new ZstdDecompressCtx();
    }
    try {
      return ctx.decompress(compressed, rawSize);
    } finally {
      decompressors.offer(ctx);
    }
  }

  /** Frees the pooled zstd contexts. */
  void close() {
    ZstdCompressCtx c;
    while ((c = compressors.poll()) != null) {
      c.close();
    }
    ZstdDecompressCtx d;
    while ((d = decompressors.poll()) != null) {
      d.close();
    }
  }
}

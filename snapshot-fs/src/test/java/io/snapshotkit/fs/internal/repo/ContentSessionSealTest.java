package io.snapshotkit.fs.internal.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snapshotkit.fs.internal.store.LocalObjectStore;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A full pack is sealed (fsync, index) without stopping the session's other threads. */
class ContentSessionSealTest {
  @TempDir
  Path dir;

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  /** Packs' publication waits for {@code release}; {@code sealing} counts down when one starts. */
  private static final class SlowPublish extends ForwardingObjectStore {
    final CountDownLatch sealing = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile boolean fail;

    SlowPublish(ObjectStore delegate) {
      super(delegate);
    }

    @Override
    public Upload upload(String name) throws IOException {
      Upload up = super.upload(name);
      if (!name.startsWith(ContentStore.PACKS)) {
        return up;
      }
      return new Upload() {
        @Override
        public OutputStream out() {
          return up.out();
        }

        @Override
        public long written() {
          return up.written();
        }

        @Override
        public boolean publish() throws IOException {
          sealing.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
          }
          if (fail) {
            throw new IOException("simulated: the pack's fsync failed");
          }
          return up.publish();
        }

        @Override
        public void close() throws IOException {
          up.close();
        }
      };
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  @Test
  @DisplayName("while one thread seals a full pack, another stores content, and flush waits for the seal")
  void otherThreadsStoreWhileAPackIsSealed() throws Exception {
    SlowPublish objects = new SlowPublish(new LocalObjectStore(dir));
    ContentStore store = new ContentStore(objects, 1, ContentStore.SMALL, Runnable::run);
    try {
      // random bytes do not compress: a little over one pack's worth fills the first pack
      byte[] big = random((int) ContentStore.PACK_TARGET + (4 << 20), 1);
      byte[] small = random(10_000, 2);
      ContentSession s = store.session();
      CompletableFuture<Digest> filler = CompletableFuture.supplyAsync(() -> {
        try {
          return s.storeStream(new ByteArrayInputStream(big));
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      assertTrue(objects.sealing.await(60, TimeUnit.SECONDS), "the first pack filled up and is being sealed");
      CompletableFuture<Digest> other = CompletableFuture.supplyAsync(() -> {
        try {
          return s.storeSmall(small, small.length);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      // before packs were sealed outside the session's monitor, this waited for the fsync
      Digest smallDigest = other.get(30, TimeUnit.SECONDS);
      CompletableFuture<Void> flushed = CompletableFuture.runAsync(() -> {
        try {
          filler.join();
          s.flush();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      assertThrows(TimeoutException.class, () -> flushed.get(300, TimeUnit.MILLISECONDS),
          "flush waits for the pack being sealed");
      objects.release.countDown();
      flushed.get(60, TimeUnit.SECONDS);
      Digest bigDigest = filler.get();
      s.close();
      assertArrayEquals(small, readAll(store.open(smallDigest)));
      assertArrayEquals(big, readAll(store.open(bigDigest)));
      assertEquals(2, objects.list(ContentStore.PACKS).size(), "the full pack and the last one");
    } finally {
      store.close();
    }
  }

  @Test
  @DisplayName("a pack that fails to seal fails the thread that sealed it and then the session's flush")
  void aFailedSealFailsTheFlush() throws Exception {
    SlowPublish objects = new SlowPublish(new LocalObjectStore(dir));
    objects.fail = true;
    objects.release.countDown();
    ContentStore store = new ContentStore(objects, 1, ContentStore.SMALL, Runnable::run);
    try (ContentSession s = store.session()) {
      byte[] big = random((int) ContentStore.PACK_TARGET + (4 << 20), 3);
      IOException thrown = assertThrows(IOException.class, () -> s.storeStream(new ByteArrayInputStream(big)));
      assertTrue(thrown.getMessage().contains("simulated"), thrown.getMessage());
      IOException atFlush = assertThrows(IOException.class, s::flush);
      assertTrue(atFlush.getMessage().contains("simulated") || String.valueOf(atFlush.getCause()).contains("simulated"),
          String.valueOf(atFlush));
    } finally {
      store.close();
    }
  }
}

package io.snapshotkit.jdbc;

import io.snapshotkit.spi.BlobStore;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link BlobStore} in the same database as its {@link JdbcManifestStore} (table
 * {@code sk_blob}, added by schema version 2), for manifests too large to keep inline. Obtain it
 * with {@link JdbcManifestStore#blobStore()}.
 *
 * <p>Blobs are written in their own transaction, so a blob put for a capture that later fails is
 * left behind until the engine deletes it; keys are chosen by the engine.
 *
 * <p><b>Failure:</b> {@link io.snapshotkit.SnapshotException} {@code HOST_UNAVAILABLE} when the
 * database cannot be reached, {@code INTERNAL} for other SQL failures.
 *
 * <p><b>Threading:</b> thread-safe.
 */
public final class JdbcBlobStore implements BlobStore {
  /** The longest key accepted. */
  public static final int MAX_KEY_LENGTH = 512;

  private final JdbcManifestStore store;

  JdbcBlobStore(JdbcManifestStore store) {
    this.store = store;
  }

  @Override
  public void put(String key, byte[] data) {
    checkKey(key);
    Objects.requireNonNull(data, "data");
    byte[] copy = data.clone();
    String what = "storing blob " + key;
    store.transaction(what, tx -> tx.run(what, () -> {
      String sql = switch (tx.dialect()) {
        case POSTGRES, SQLITE -> "INSERT INTO sk_blob (blob_key, data) VALUES (:k, :d) "
            + "ON CONFLICT (blob_key) DO UPDATE SET data = excluded.data";
        case H2 -> "MERGE INTO sk_blob (blob_key, data) KEY (blob_key) VALUES (:k, :d)";
      };
      return tx.handle().createUpdate(sql).bind("k", key).bind("d", copy).execute();
    }));
  }

  @Override
  public Optional<byte[]> get(String key) {
    checkKey(key);
    return store.read("reading blob " + key, h -> h
        .createQuery("SELECT data FROM sk_blob WHERE blob_key = :k")
        .bind("k", key)
        .mapTo(byte[].class)
        .findOne());
  }

  @Override
  public void delete(String key) {
    checkKey(key);
    String what = "deleting blob " + key;
    store.transaction(what, tx -> tx.run(what, () -> tx.handle()
        .createUpdate("DELETE FROM sk_blob WHERE blob_key = :k").bind("k", key).execute()));
  }

  private static void checkKey(String key) {
    Objects.requireNonNull(key, "key");
    if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
      throw new IllegalArgumentException("a blob key has 1 to " + MAX_KEY_LENGTH + " characters: " + key.length());
    }
  }

  @Override
  public String toString() {
    return "JdbcBlobStore[" + store.dialect() + "]";
  }
}

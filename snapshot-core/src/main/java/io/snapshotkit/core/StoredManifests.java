package io.snapshotkit.core;

import static io.snapshotkit.core.EngineContext.oneLine;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.Manifest;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.Snapshot;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.spi.BlobStore;
import io.snapshotkit.spi.ManifestStore;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * Where a snapshot's manifest lives: inline in the metadata store, or in the blob store when it is
 * larger than the inline limit. Places a new manifest, reads a stored one (saying why it cannot:
 * unreachable or damaged), and removes a blob.
 *
 * <p><b>Thread-safety:</b> thread-safe.
 */
final class StoredManifests {
  private static final Logger log = EngineContext.LOG;

  /** Blob keys of external manifests are {@code manifests/<snapshot id>.json}. */
  static final String MANIFEST_BLOB_PREFIX = "manifests/";

  private final ManifestStore store;
  private final Optional<BlobStore> blobs;
  private final int inlineLimit;

  StoredManifests(EngineContext ctx) {
    this.store = ctx.store();
    this.blobs = ctx.settings().blobStore();
    this.inlineLimit = ctx.settings().inlineManifestLimit();
  }

  /**
   * Puts a new manifest's JSON in the blob store when it is above the inline limit and there is a
   * blob store, and returns the reference to store with the snapshot; an inline reference (the
   * caller stores the JSON in the metadata transaction) otherwise, or when the blob put fails.
   */
  ManifestRef place(SnapshotId id, byte[] json, Map<String, Integer> counts) {
    ManifestRef ref = ManifestRef.inline(counts, json.length);
    if (blobs.isPresent() && json.length > inlineLimit) {
      String key = MANIFEST_BLOB_PREFIX + id + ".json";
      try {
        blobs.get().put(key, json);
        ref = ManifestRef.external(key, counts, json.length);
      } catch (RuntimeException e) {
        log.warn("storing the manifest of snapshot {} ({} bytes) in the blob store failed; keeping it inline: {}",
            id, json.length, e.toString());
      }
    }
    return ref;
  }

  /** Reads a snapshot's manifest from the store or the blob store, or says why it cannot. */
  ManifestRead read(Snapshot s) {
    Optional<ManifestRef> ref = s.manifest();
    if (ref.isEmpty()) {
      return ManifestRead.problem("snapshot " + s.id() + " has no manifest reference");
    }
    byte[] json;
    if (ref.get().external()) {
      String key = ref.get().blobKey().orElseThrow();
      if (blobs.isEmpty()) {
        return ManifestRead.problem("the manifest of snapshot " + s.id() + " is in a blob store, but the engine has none");
      }
      Optional<byte[]> bytes;
      try {
        bytes = blobs.get().get(key);
      } catch (RuntimeException e) {
        return ManifestRead.problem("the manifest blob of snapshot " + s.id() + " could not be read: "
            + oneLine(String.valueOf(e.getMessage())));
      }
      if (bytes.isEmpty()) {
        return ManifestRead.problem("the manifest blob of snapshot " + s.id() + " (" + key + ") is missing");
      }
      json = bytes.get();
    } else {
      Optional<byte[]> inline;
      try {
        inline = store.manifest(s.id());
      } catch (RuntimeException e) {
        return ManifestRead.problem("the inline manifest of snapshot " + s.id() + " could not be read: "
            + oneLine(String.valueOf(e.getMessage())));
      }
      if (inline.isEmpty()) {
        return ManifestRead.problem("the inline manifest of snapshot " + s.id() + " is missing");
      }
      json = inline.get();
    }
    try {
      return ManifestRead.of(Manifest.fromJson(json));
    } catch (SnapshotException e) {
      return ManifestRead.corrupt("the manifest of snapshot " + s.id() + " is not valid manifest JSON");
    }
  }

  /** The manifest, or {@code CORRUPT} saying why it cannot be read (a restore needs all of it). */
  Manifest manifestOrCorrupt(Snapshot s) {
    ManifestRead read = read(s);
    return read.manifest().orElseThrow(() -> corrupt(s, read));
  }

  /** The manifest read for a diff: an unreachable one degrades the diff, a damaged one fails it. */
  ManifestRead intactOrCorrupt(Snapshot s) {
    ManifestRead read = read(s);
    if (read.corrupt()) {
      throw corrupt(s, read);
    }
    return read;
  }

  private static SnapshotException corrupt(Snapshot s, ManifestRead read) {
    return new SnapshotException(ErrorCode.CORRUPT,
        read.problem().orElseThrow() + "; restore the blob or metadata store from backup, or pick another snapshot")
        .withWorkload(s.workload()).withSnapshot(s.id());
  }

  /** Best effort: removes a manifest blob whose snapshot is gone or was never committed. */
  void deleteBlobQuietly(String key) {
    blobs.ifPresent(b -> {
      try {
        b.delete(key);
      } catch (RuntimeException e) {
        log.warn("could not delete manifest blob {}; remove it by hand: {}", key, e.toString());
      }
    });
  }
}

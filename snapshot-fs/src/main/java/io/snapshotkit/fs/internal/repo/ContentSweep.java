package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.ErrorCode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.fs.store.ObjectStore;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sweep phase of a collection over a {@link ContentStore}: hides unmarked content in the
 * index, then deletes packs left without live content, then rewrites packs mostly dead or small
 * into new ones, and finally merges the index files into one. Deleting comes first and needs no
 * space, and a rewrite or merge the store has no room for is skipped, so gc frees space on a full
 * store. Files are never edited: a rewrite
 * publishes the new pack, then its index, and only then deletes the old pack; a merge publishes
 * the merged index before deleting the old ones. A crash at any point leaves every live content
 * readable (through the old index or the new one; a pack without an index is removed at open,
 * an index's records of a deleted pack are ignored).
 *
 * <p>Not thread-safe: one sweep at a time (the repository's collection lock).
 */
final class ContentSweep {
  private static final Logger LOG = LoggerFactory.getLogger(ContentSweep.class);
  /** Packs smaller than this count as small for {@link #mergeSmallPacks}. */
  private static final long SMALL_PACK = 8L << 20;
  /** How many small packs make a merge worth it. */
  static final int MERGE_MIN = 8;

  private final ContentStore store;

  ContentSweep(ContentStore store) {
    this.store = store;
  }

  /**
   * Under the index monitor: adds every pinned digest (and the chunks of pinned lists) to
   * {@code marked}, lets {@code remark} add the digests of snapshots committed since marking
   * began, and hides every unmarked content in {@code only} (all when null) published no later
   * than {@code gcStart}. Then deletes or rewrites the packs that held it.
   *
   * @return the bytes and contents reclaimed
   */
  long[] sweep(long gcStart, Set<Digest> marked, Consumer<Set<Digest>> remark, Set<Digest> only) throws IOException {
    Map<Digest, Set<String>> removed = new HashMap<>();
    synchronized (store.lock) {
      Set<Digest> pinned = new HashSet<>();
      for (Set<Digest> p : store.pins.values()) {
        pinned.addAll(p);
      }
      for (Digest d : pinned) {
        store.mark(d, marked, null);
      }
      remark.accept(marked);
      store.index.forEach(gcStart, (r, loc) -> {
        if ((only == null || only.contains(r.digest())) && !marked.contains(r.digest())) {
          removed.computeIfAbsent(r.digest(), k -> new HashSet<>()).add(loc.pack());
        }
      });
      store.index.tombstone(removed.keySet(), gcStart);
    }
    Set<String> touched = new HashSet<>();
    removed.values().forEach(touched::addAll);
    long bytes = 0;
    Map<String, Map<Digest, ContentStore.Location>> live = liveIn(touched);
    // whole dead packs first: deleting writes nothing, so a full store gets room before any rewrite
    List<String> partlyDead = new ArrayList<>();
    for (String pack : touched) {
      if (live.getOrDefault(pack, Map.of()).isEmpty()) {
        long size = store.sizeOrZero(pack);
        retire(pack);
        bytes += size;
      } else {
        partlyDead.add(pack);
      }
    }
    for (String pack : partlyDead) {
      try {
        bytes += compact(pack, live.get(pack));
      } catch (IOException | SnapshotException e) {
        if (!outOfSpace(e)) {
          throw e;
        }
        LOG.warn("rewriting the partly dead pack {} skipped: the object store is full ({}); a later gc rewrites it",
            pack, e.getMessage());
        // the pack stays whole; showing its dead records again lets a later gc find and rewrite it
        synchronized (store.lock) {
          store.index.untombstone(removed.entrySet().stream().filter(r -> r.getValue().contains(pack))
              .map(Map.Entry::getKey).toList());
        }
      }
    }
    // an index whose packs are all gone lists nothing any more (a failed capture's reclaim)
    store.index.dropEmpty();
    return new long[] {bytes, removed.size()};
  }

  /** Rewrites a pack that is mostly dead, leaves the others. */
  private long compact(String pack, Map<Digest, ContentStore.Location> live) throws IOException {
    long packSize = store.sizeOrZero(pack);
    long liveBytes = live.values().stream().mapToLong(ContentStore.Location::length).sum();
    if (liveBytes * 2 > packSize) {
      // the dead frames stay until more of the pack dies; the index merge at the end of a gc
      // leaves their records out
      return 0;
    }
    Map<String, Map<Digest, ContentStore.Location>> one = new LinkedHashMap<>();
    one.put(pack, live);
    return rewrite(one);
  }

  /** Whether a write failed because the store is full or over its quota. */
  private static boolean outOfSpace(Exception e) {
    return e instanceof SnapshotException se ? se.code() == ErrorCode.INSUFFICIENT_STORAGE
        : SnapshotException.outOfSpace(e).isPresent();
  }

  /** A step that writes to the store. */
  private interface Write {
    long run() throws IOException;
  }

  /**
   * Runs a merge, which only saves space or lookups later: if the store is full or over its
   * quota, skips it with a warning and reports 0 bytes freed.
   */
  private static long unlessFull(Write step, String what) throws IOException {
    try {
      return step.run();
    } catch (IOException | SnapshotException e) {
      if (!outOfSpace(e)) {
        throw e;
      }
      LOG.warn("{} skipped: the object store is full ({}); a later gc does it once there is room", what,
          e.getMessage());
      return 0;
    }
  }

  /** The visible contents of {@code packs}, by pack, in one pass over the index. */
  private Map<String, Map<Digest, ContentStore.Location>> liveIn(Set<String> packs) throws IOException {
    Map<String, Map<Digest, ContentStore.Location>> live = new HashMap<>();
    if (packs.isEmpty()) {
      return live;
    }
    store.index.forEach(Long.MAX_VALUE, (r, loc) -> {
      if (packs.contains(loc.pack())) {
        live.computeIfAbsent(loc.pack(), k -> new HashMap<>()).putIfAbsent(r.digest(), loc);
      }
    });
    return live;
  }

  /**
   * Deletes a pack: first hidden from lookups (a reader that already had its location retries on
   * {@code NoSuchFileException} and finds the content elsewhere or missing), then removed.
   */
  private void retire(String pack) throws IOException {
    store.index.packGone(pack);
    store.objects.delete(pack);
  }

  /**
   * Copies the live contents of {@code sources} (pack → its live contents) into one new pack,
   * publishes it and then its index, then retires the old packs.
   *
   * @return the bytes freed
   */
  private long rewrite(Map<String, Map<Digest, ContentStore.Location>> sources) throws IOException {
    String base = "p-" + UUID.randomUUID();
    String newPack = ContentStore.PACKS + base + ".pack";
    List<PackFormat.Record> records = new ArrayList<>();
    Set<Digest> copied = new HashSet<>();
    long oldBytes = 0;
    try (ObjectStore.Upload up = store.objects.uploadUnique(newPack)) {
      OutputStream out = up.out();
      out.write(PackFormat.packHeader());
      for (Map.Entry<String, Map<Digest, ContentStore.Location>> source : sources.entrySet()) {
        oldBytes += store.sizeOrZero(source.getKey());
        for (Map.Entry<Digest, ContentStore.Location> e : source.getValue().entrySet()) {
          if (!copied.add(e.getKey())) {
            continue;
          }
          ContentStore.Location loc = e.getValue();
          long offset = up.written();
          out.write(store.objects.getRange(loc.pack(), loc.offset(), loc.length()));
          records.add(new PackFormat.Record(e.getKey(), 0, offset, loc.length(), loc.rawSize(), loc.kind()));
        }
      }
      up.publish();
    }
    String idx = ContentStore.INDEX + "i-" + base + ".idx";
    PackFormat.writeIndex(store.objects, idx, List.of(newPack), records);
    synchronized (store.lock) {
      store.index.open(idx, store.generation.incrementAndGet(), null);
    }
    for (String old : sources.keySet()) {
      retire(old);
    }
    return oldBytes - store.sizeOrZero(newPack);
  }

  /**
   * Merges small packs (each capture seals at least one, so frequent small captures leave many)
   * into packs of up to {@link ContentStore#PACK_TARGET}, once there are {@link #MERGE_MIN} or
   * more of them.
   *
   * @return the bytes freed
   */
  long mergeSmallPacks() throws IOException {
    Set<String> smallPacks = new HashSet<>();
    for (IndexFile f : store.index.files()) {
      for (String p : f.packs) {
        if (f.packStillLive(p) && store.sizeOrZero(p) < SMALL_PACK) {
          smallPacks.add(p);
        }
      }
    }
    if (smallPacks.size() < MERGE_MIN) {
      return 0;
    }
    Map<String, Map<Digest, ContentStore.Location>> byPack = liveIn(smallPacks);
    long freed = 0;
    Map<String, Map<Digest, ContentStore.Location>> batch = new LinkedHashMap<>();
    long batchBytes = 0;
    for (String p : smallPacks.stream().sorted().toList()) {
      batch.put(p, byPack.getOrDefault(p, Map.of()));
      batchBytes += store.sizeOrZero(p);
      if (batchBytes >= ContentStore.PACK_TARGET) {
        Map<String, Map<Digest, ContentStore.Location>> full = batch;
        freed += unlessFull(() -> rewrite(full), "merging small packs");
        batch = new LinkedHashMap<>();
        batchBytes = 0;
      }
    }
    if (batch.size() > 1) {
      Map<String, Map<Digest, ContentStore.Location>> last = batch;
      freed += unlessFull(() -> rewrite(last), "merging small packs");
    }
    return freed;
  }

  /**
   * Merges every index file into one (leaving out hidden records and deleted packs), so lookups
   * probe one file and tombstones are dropped, then deletes index files left without packs.
   */
  void mergeIndexes() throws IOException {
    List<IndexFile> sources = store.index.files();
    if (sources.size() > 1 || sources.size() == 1 && store.index.hasTombstones()) {
      unlessFull(() -> {
        store.index.merge(sources, store.generation.incrementAndGet());
        return 0;
      }, "merging the index files");
    }
    store.index.dropEmpty();
  }
}

package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.fs.internal.store.ObjectStore;
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

/**
 * The sweep phase of a collection over a {@link ContentStore}: drops unmarked content from the
 * index, then deletes packs left without live content and rewrites packs mostly dead or small
 * into new ones. Files are never edited: a rewrite publishes the new pack, then its index, and
 * only then deletes the old index and pack, so a crash at any point leaves every live content
 * readable (through the old index or the new one; a pack without an index is removed at open).
 *
 * <p>Not thread-safe: one sweep at a time (the repository's collection lock).
 */
final class ContentSweep {
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
   * began, and removes every unmarked content in {@code only} (all when null) published no later
   * than {@code gcStart}. Then deletes or rewrites the packs that held it.
   *
   * @return the bytes and contents reclaimed
   */
  long[] sweep(long gcStart, Set<Digest> marked, Consumer<Set<Digest>> remark, Set<Digest> only) throws IOException {
    Map<Digest, ContentStore.Location> removed = new HashMap<>();
    synchronized (store.lock) {
      Set<Digest> pinned = new HashSet<>();
      for (Set<Digest> p : store.pins.values()) {
        pinned.addAll(p);
      }
      for (Digest d : pinned) {
        store.mark(d, marked, null);
      }
      remark.accept(marked);
      store.index.entrySet().removeIf(e -> {
        if ((only == null || only.contains(e.getKey()))
            && e.getValue().generation() <= gcStart && !marked.contains(e.getKey())) {
          removed.put(e.getKey(), e.getValue());
          return true;
        }
        return false;
      });
    }
    Set<String> touched = new HashSet<>();
    for (ContentStore.Location loc : removed.values()) {
      touched.add(loc.pack());
    }
    long bytes = 0;
    for (String pack : touched) {
      bytes += compact(pack);
    }
    return new long[] {bytes, removed.size()};
  }

  /** Deletes a pack whose contents are all gone, rewrites one mostly dead, leaves the others. */
  private long compact(String pack) throws IOException {
    Map<Digest, ContentStore.Location> live = liveIn(pack);
    long packSize = store.sizeOrZero(pack);
    if (live.isEmpty()) {
      retire(pack);
      return packSize;
    }
    long liveBytes = live.values().stream().mapToLong(ContentStore.Location::length).sum();
    if (liveBytes * 2 > packSize) {
      // the dead frames stay until more of the pack dies; its index still lists them, so after a
      // restart they are found again (readable, unreferenced) and the next gc drops them again
      return 0;
    }
    Map<String, Map<Digest, ContentStore.Location>> one = new LinkedHashMap<>();
    one.put(pack, live);
    return rewrite(one);
  }

  private Map<Digest, ContentStore.Location> liveIn(String pack) {
    Map<Digest, ContentStore.Location> live = new HashMap<>();
    synchronized (store.lock) {
      store.index.forEach((d, loc) -> {
        if (loc.pack().equals(pack)) {
          live.put(d, loc);
        }
      });
    }
    return live;
  }

  /** Removes a pack and its index: the index first, so a crash in between leaves a pack the next open removes. */
  private void retire(String pack) throws IOException {
    String idx;
    synchronized (store.lock) {
      idx = store.indexOfPack.remove(pack);
    }
    if (idx != null) {
      store.objects.delete(idx);
    }
    store.objects.delete(pack);
  }

  /**
   * Copies the live contents of {@code sources} (pack → its live contents) into one new pack,
   * publishes it and its index, repoints the in-memory index, then retires the old packs.
   * Readers holding an old location retry on {@code NoSuchFileException}.
   *
   * @return the bytes freed
   */
  private long rewrite(Map<String, Map<Digest, ContentStore.Location>> sources) throws IOException {
    String base = "p-" + UUID.randomUUID();
    String newPack = ContentStore.PACKS + base + ".pack";
    Map<Digest, ContentStore.Location> moved = new HashMap<>();
    Map<Digest, String> from = new HashMap<>();
    List<PackFormat.Record> records = new ArrayList<>();
    long oldBytes = 0;
    try (ObjectStore.Upload up = store.objects.upload(newPack)) {
      OutputStream out = up.out();
      out.write(PackFormat.packHeader());
      for (Map.Entry<String, Map<Digest, ContentStore.Location>> source : sources.entrySet()) {
        oldBytes += store.sizeOrZero(source.getKey());
        for (Map.Entry<Digest, ContentStore.Location> e : source.getValue().entrySet()) {
          ContentStore.Location loc = e.getValue();
          long offset = up.written();
          out.write(store.objects.getRange(loc.pack(), loc.offset(), loc.length()));
          moved.put(e.getKey(), new ContentStore.Location(newPack, offset, loc.length(), loc.rawSize(), loc.kind(),
              loc.generation()));
          records.add(new PackFormat.Record(e.getKey(), 0, offset, loc.length(), loc.rawSize(), loc.kind()));
          from.put(e.getKey(), source.getKey());
        }
      }
      up.publish();
    }
    String idx = ContentStore.INDEX + "i-" + base + ".idx";
    store.objects.putIfAbsent(idx, PackFormat.index(List.of(newPack), records));
    synchronized (store.lock) {
      store.indexOfPack.put(newPack, idx);
      moved.forEach((d, loc) -> store.index.computeIfPresent(d, (k, old) -> old.pack().equals(from.get(d)) ? loc : old));
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
    Map<String, Map<Digest, ContentStore.Location>> byPack = new HashMap<>();
    synchronized (store.lock) {
      store.index.forEach((d, loc) -> byPack.computeIfAbsent(loc.pack(), k -> new HashMap<>()).put(d, loc));
    }
    List<String> smallPacks = byPack.keySet().stream().filter(p -> store.sizeOrZero(p) < SMALL_PACK).sorted().toList();
    if (smallPacks.size() < MERGE_MIN) {
      return 0;
    }
    long freed = 0;
    Map<String, Map<Digest, ContentStore.Location>> batch = new LinkedHashMap<>();
    long batchBytes = 0;
    for (String p : smallPacks) {
      batch.put(p, byPack.get(p));
      batchBytes += store.sizeOrZero(p);
      if (batchBytes >= ContentStore.PACK_TARGET) {
        freed += rewrite(batch);
        batch = new LinkedHashMap<>();
        batchBytes = 0;
      }
    }
    if (batch.size() > 1) {
      freed += rewrite(batch);
    }
    return freed;
  }
}

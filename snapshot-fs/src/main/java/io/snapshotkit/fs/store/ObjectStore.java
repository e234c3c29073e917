package io.snapshotkit.fs.store;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * Where every file of a directory agent's repository lives except its local working state
 * (restore journals, the tracked-volume registry, temporary files, the process lock): a flat
 * namespace of write-once objects. An object is created whole, by {@link #putIfAbsent} or an
 * {@link Upload}, and never modified afterwards; it can be read (whole or a byte range), listed by
 * name prefix and deleted. Nothing above this interface assumes a local path, so a bucket of an
 * S3-compatible service can stand behind it ({@code snapshot-s3}); the agent's default is a local
 * directory. Give one to {@link io.snapshotkit.fs.FsHostAgent.Builder#objectStore}.
 *
 * <p><b>What the repository relies on.</b> A published object is durable and visible to every
 * later read, list and size from any host (read-after-write and list-after-write consistency, as
 * S3 has given since December 2020). {@link #putIfAbsent} and {@link Upload#publish()} need not be
 * atomic against a concurrent writer of the same name: the repository writes every name once
 * (packs and index files carry a random UUID, a snapshot root its snapshot id). Failures are
 * {@link IOException}s ({@link java.nio.file.NoSuchFileException} for a missing object) or a
 * {@link io.snapshotkit.SnapshotException} saying what the user should do (a bucket that is
 * unreachable or refuses access).
 *
 * <p>Names are relative, {@code /}-separated segments of {@code [A-Za-z0-9._:-]}, none empty,
 * none starting with a dot (see {@link #checkName}).
 *
 * <p><b>Thread-safety:</b> implementations are thread-safe.
 */
public interface ObjectStore extends Closeable {

  /**
   * Creates an object with {@code data}, durably, unless one of that name exists.
   *
   * @return true if this call created it, false if it existed (the store is unchanged)
   * @implSpec writes {@code data} through {@link #upload} and publishes it
   */
  default boolean putIfAbsent(String name, byte[] data) throws IOException {
    java.util.Objects.requireNonNull(data, "data");
    try (Upload u = upload(name)) {
      u.out().write(data);
      return u.publish();
    }
  }

  /**
   * Starts writing an object too large to hold in memory. Nothing is visible under {@code name}
   * until {@link Upload#publish()}.
   */
  Upload upload(String name) throws IOException;

  /**
   * Starts writing an object under a name no other upload uses, as the repository's packs, index
   * files and leases carry a random UUID: like {@link #upload}, but {@link Upload#publish()} need
   * not check first whether the name exists (on an object store that check is a request, a HEAD
   * before every pack, index file and lease, which could only find a UUID collision).
   *
   * @implSpec {@link #upload}: publishing checks anyway
   */
  default Upload uploadUnique(String name) throws IOException {
    return upload(name);
  }

  /**
   * {@link #putIfAbsent} for a name no other writer uses ({@link #uploadUnique}): the object is
   * created without first asking whether one of that name exists.
   *
   * @implSpec writes {@code data} through {@link #uploadUnique} and publishes it
   */
  default void putUnique(String name, byte[] data) throws IOException {
    java.util.Objects.requireNonNull(data, "data");
    try (Upload u = uploadUnique(name)) {
      u.out().write(data);
      u.publish();
    }
  }

  /**
   * How large a capture lets a pack grow before it starts the next one (a pack ends at the first
   * content that takes it to this size or over: at most about 1 MiB more). Fewer, larger objects
   * suit a local disk; an object store may prefer objects that still go up in one request.
   *
   * @implSpec 64 MiB
   */
  default long packTarget() {
    return 64L << 20;
  }

  /**
   * Reads a whole object.
   *
   * @throws java.nio.file.NoSuchFileException if there is none of that name
   */
  byte[] get(String name) throws IOException;

  /**
   * Reads {@code length} bytes from {@code offset}.
   *
   * @throws java.io.EOFException if the object is shorter
   * @throws java.nio.file.NoSuchFileException if there is none of that name
   */
  byte[] getRange(String name, long offset, int length) throws IOException;

  /**
   * The object's size in bytes.
   *
   * @throws java.nio.file.NoSuchFileException if there is none of that name
   */
  long size(String name) throws IOException;

  /**
   * The names of every object whose name starts with {@code prefix}, sorted. A store kept as a
   * directory tree may list one level instead: the objects and subdirectories directly in the
   * directory {@code prefix} names (a subdirectory as its name without a trailing slash); the
   * repository walks those down where it needs deeper names.
   */
  List<String> list(String prefix) throws IOException;

  /**
   * Deletes an object, durably.
   *
   * @return whether it existed
   */
  boolean delete(String name) throws IOException;

  /**
   * Deletes an object if it exists, durably, without saying whether it did: for callers that do
   * not need {@link #delete}'s answer, which an object store gets with a request of its own (S3's
   * DELETE answers the same whether or not the object was there).
   *
   * @implSpec {@link #delete}, its answer ignored
   */
  default void discard(String name) throws IOException {
    delete(name);
  }

  /**
   * Removes what uploads abandoned by a dead writer still keep in the store: an upload started
   * before {@code startedBefore} that was neither published nor discarded, because the process
   * writing it was killed (an S3 multipart upload's parts, for example, stay stored, and billed,
   * until the upload is aborted). Uploads this object's own process still writes are kept, whatever
   * their age.
   *
   * <p>The repository's gc calls this on a shared store while it holds the exclusive gc lease, that
   * is while no other agent captures, imports, forks or collects, with {@code startedBefore} one
   * lease time before the gc took its lease: every upload an agent makes happens under a live lease,
   * so an upload that old of another process belongs to an agent that died or whose capture already
   * failed.
   *
   * @param startedBefore uploads started at or after this instant are kept
   * @return how many abandoned uploads were removed
   * @implSpec does nothing and returns 0, for a store whose discarded or abandoned uploads leave
   *     nothing behind that a name can reach (the local directory store removes its temporary files
   *     at open)
   */
  default int discardAbandonedUploads(java.time.Instant startedBefore) throws IOException {
    java.util.Objects.requireNonNull(startedBefore, "startedBefore");
    return 0;
  }

  /** An object being written; {@link #close()} without {@link #publish()} discards it. */
  interface Upload extends Closeable {
    /** Where the bytes go. Not thread-safe: one writer at a time. */
    OutputStream out();

    /** Bytes written so far. */
    long written();

    /**
     * Makes the object durable and visible under its name, unless one of that name exists (an
     * upload from {@link ObjectStore#uploadUnique} need not check, and may return true regardless).
     *
     * @return true if published, false if the name was taken (the upload is discarded)
     */
    boolean publish() throws IOException;

    /** Discards the upload unless it was published. */
    @Override
    void close() throws IOException;
  }

  /**
   * Checks an object name: what every implementation accepts.
   *
   * @throws IllegalArgumentException if it is not a valid name
   */
  static String checkName(String name) {
    if (name == null || name.isEmpty() || name.length() > 512) {
      throw new IllegalArgumentException("an object name has 1 to 512 characters: " + name);
    }
    for (String segment : name.split("/", -1)) {
      if (segment.isEmpty() || segment.charAt(0) == '.') {
        throw new IllegalArgumentException("bad object name (empty segment or leading dot): " + name);
      }
      for (int i = 0; i < segment.length(); i++) {
        char c = segment.charAt(i);
        if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_'
            || c == '-' || c == ':')) {
          throw new IllegalArgumentException("bad character in object name: " + name);
        }
      }
    }
    return name;
  }
}

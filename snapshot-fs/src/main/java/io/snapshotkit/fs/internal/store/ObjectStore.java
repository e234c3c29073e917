package io.snapshotkit.fs.internal.store;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * Where every repository file lives: a flat namespace of write-once objects. An object is
 * created whole, by {@link #putIfAbsent} or an {@link Upload}, and never modified afterwards; it
 * can be read (whole or a byte range), listed by name prefix and deleted. Nothing above this
 * interface assumes a local path, so a bucket of an S3-compatible service can stand behind it.
 *
 * <p>Names are relative, {@code /}-separated segments of {@code [A-Za-z0-9._-]}, none empty,
 * none starting with a dot (see {@link #checkName}).
 *
 * <p><b>Thread-safety:</b> implementations are thread-safe.
 */
public interface ObjectStore extends Closeable {

  /**
   * Creates an object with {@code data}, durably, unless one of that name exists.
   *
   * @return true if this call created it, false if it existed (the store is unchanged)
   */
  boolean putIfAbsent(String name, byte[] data) throws IOException;

  /**
   * Starts writing an object too large to hold in memory. Nothing is visible under {@code name}
   * until {@link Upload#publish()}.
   */
  Upload upload(String name) throws IOException;

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

  /** The names of every object whose name starts with {@code prefix}, sorted. */
  List<String> list(String prefix) throws IOException;

  /**
   * Deletes an object, durably.
   *
   * @return whether it existed
   */
  boolean delete(String name) throws IOException;

  /** An object being written; {@link #close()} without {@link #publish()} discards it. */
  interface Upload extends Closeable {
    /** Where the bytes go. Not thread-safe: one writer at a time. */
    OutputStream out();

    /** Bytes written so far. */
    long written();

    /**
     * Makes the object durable and visible under its name, unless one of that name exists.
     *
     * @return true if published, false if the name was taken (the upload is discarded)
     */
    boolean publish() throws IOException;

    /** Discards the upload unless it was published. */
    @Override
    void close() throws IOException;
  }

  /**
   * Checks an object name.
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
            || c == '-')) {
          throw new IllegalArgumentException("bad character in object name: " + name);
        }
      }
    }
    return name;
  }
}

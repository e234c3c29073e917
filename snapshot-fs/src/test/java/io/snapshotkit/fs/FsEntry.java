package io.snapshotkit.fs;

import java.io.InputStream;

/**
 * An entry of a snapshot together with its content, as {@link RepositoryStreams#openSnapshot} yields
 * it and {@link RepositoryStreams#ingest} consumes it (the tar.zst export and import are built on the two).
 *
 * <p><b>Thread-safety:</b> confined to the thread iterating the snapshot; the content stream is
 * valid only until the iterator moves on.
 */
interface FsEntry {
  /** The entry's metadata. */
  FileEntry entry();

  /**
   * The file's content. When yielded by {@link RepositoryStreams#openSnapshot} the stream verifies the
   * digest as it is read and throws {@link io.snapshotkit.SnapshotException} CORRUPT at the end if
   * it does not match.
   *
   * @throws IllegalStateException if the entry is not a {@link FileType#FILE}
   */
  InputStream content();
}

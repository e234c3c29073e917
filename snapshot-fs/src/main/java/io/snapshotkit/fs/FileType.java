package io.snapshotkit.fs;

/**
 * The kinds of entry a volume snapshot holds. Device nodes, fifos and sockets are never captured.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
public enum FileType {
  /** A regular file; its content is stored by digest. */
  FILE,
  /** A directory, kept even when empty. */
  DIRECTORY,
  /** A symbolic link; its target text is kept verbatim and never followed. */
  SYMLINK
}

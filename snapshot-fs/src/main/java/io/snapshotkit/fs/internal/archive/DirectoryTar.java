package io.snapshotkit.fs.internal.archive;

import io.snapshotkit.fs.internal.files.RawNames;
import io.snapshotkit.fs.internal.repo.Entry;
import io.snapshotkit.fs.internal.repo.SnapshotBrowser;
import io.snapshotkit.fs.internal.repo.TreeReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.attribute.FileTime;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * A directory of a stored snapshot written as a plain (uncompressed) tar, as {@code dump} gives
 * it: entries in tree order under the directory's own name, modes and modification times as
 * captured, symlinks as links, file content streamed from the repository and verified as it is
 * read. Names keep their bytes as {@link TarExport} does (ISO-8859-1 headers of the raw bytes,
 * GNU long names). Unlike a {@link io.snapshotkit.fs.SnapshotArchive} it carries no manifest and
 * no owners: it is for reading with any tar, not for importing.
 *
 * <p><b>Thread-safety:</b> stateless.
 */
public final class DirectoryTar {
  private DirectoryTar() {}

  /**
   * Writes {@code dir} and everything below it to {@code out}, which stays open.
   *
   * @throws IOException if writing to {@code out} fails
   */
  public static void write(SnapshotBrowser browser, SnapshotBrowser.Found dir, OutputStream out) throws IOException {
    String top = dir.file().name();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new TarExport.NonClosing(out), "ISO-8859-1");
        TreeReader entries = browser.subtree(dir)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      TarArchiveEntry root = new TarArchiveEntry(RawNames.latin1(top) + "/");
      root.setMode((root.getMode() & ~07777) | dir.file().mode());
      root.setModTime(FileTime.from(dir.file().modified()));
      tar.putArchiveEntry(root);
      tar.closeArchiveEntry();
      while (entries.hasNext()) {
        Entry e = entries.next();
        String name = RawNames.latin1(top + "/" + e.path());
        TarArchiveEntry t = switch (e.type()) {
          case DIRECTORY -> new TarArchiveEntry(name + "/");
          case SYMLINK -> {
            TarArchiveEntry link = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
            link.setLinkName(RawNames.latin1(e.linkTarget()));
            yield link;
          }
          case FILE -> {
            TarArchiveEntry file = new TarArchiveEntry(name);
            file.setSize(e.size());
            yield file;
          }
        };
        t.setMode((t.getMode() & ~07777) | e.mode());
        t.setModTime(FileTime.from(Entry.instant(e.mtimeNanos())));
        tar.putArchiveEntry(t);
        if (e.type() == io.snapshotkit.fs.FileType.FILE && e.size() > 0) {
          try (InputStream in = browser.open(e.digest())) {
            long copied = in.transferTo(tar);
            if (copied != e.size()) {
              throw new io.snapshotkit.SnapshotException(io.snapshotkit.ErrorCode.CORRUPT, "the stored content of '"
                  + top + "/" + e.path() + "' is " + copied + " bytes, not the recorded " + e.size()
                  + "; run the repository check");
            }
          }
        }
        tar.closeArchiveEntry();
      }
      tar.finish();
    }
  }
}

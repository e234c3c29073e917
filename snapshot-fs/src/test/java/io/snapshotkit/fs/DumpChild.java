package io.snapshotkit.fs;

import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Child-JVM entry point for {@link DumpMemoryIT}: reads one file of a stored snapshot, then tars
 * its volume, into SHA-256 digests (nothing kept), and prints both, so the parent can run it with
 * a heap smaller than the file.
 */
final class DumpChild {
  private DumpChild() {}

  /** Args: repository, tenant, workload, snapshot id, file path, directory path. */
  public static void main(String[] args) throws IOException, NoSuchAlgorithmException {
    WorkloadRef w = WorkloadRef.of(args[1], args[2]);
    SnapshotId id = SnapshotId.parse(args[3]);
    try (FsHostAgent agent = FsHostAgent.builder().repository(Path.of(args[0])).build()) {
      MessageDigest file = MessageDigest.getInstance("SHA-256");
      agent.read(w, id, args[4], 0, Long.MAX_VALUE, new DigestOutputStream(OutputStream.nullOutputStream(), file));
      MessageDigest tar = MessageDigest.getInstance("SHA-256");
      long[] tarBytes = {0};
      agent.tar(w, id, args[5], new DigestOutputStream(new OutputStream() {
        @Override
        public void write(int b) {
          tarBytes[0]++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
          tarBytes[0] += len;
        }
      }, tar));
      // the parent reads these lines; System.out is this tool's interface, not library logging
      System.out.println("FILE " + HexFormat.of().formatHex(file.digest()));
      System.out.println("TAR " + tarBytes[0]);
    } catch (SnapshotException e) {
      System.out.println("FAILED " + e.code() + " " + e.getMessage());
    }
  }
}

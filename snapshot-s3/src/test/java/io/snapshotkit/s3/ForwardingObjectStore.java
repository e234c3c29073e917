package io.snapshotkit.s3;

import io.snapshotkit.fs.store.ObjectStore;
import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * An {@link ObjectStore} that passes every call to another, for fault-injecting tests that
 * override one call (a server killed when an upload reaches a point). The interface's {@code
 * uploadUnique}, {@code putUnique} and {@code discard} are not forwarded: their defaults call this
 * object's {@code upload} and {@code delete}, so an override of those sees every write and delete
 * (sent with the inner store's HEAD, which these tests do not count). Nor is {@code packTarget}:
 * its 64 MiB default keeps a capture's packs large enough to go up in parts, the uploads these
 * tests interrupt.
 */
class ForwardingObjectStore implements ObjectStore {
  final ObjectStore inner;

  ForwardingObjectStore(ObjectStore inner) {
    this.inner = inner;
  }

  @Override
  public boolean putIfAbsent(String name, byte[] data) throws IOException {
    return inner.putIfAbsent(name, data);
  }

  @Override
  public Upload upload(String name) throws IOException {
    return inner.upload(name);
  }

  @Override
  public byte[] get(String name) throws IOException {
    return inner.get(name);
  }

  @Override
  public byte[] getRange(String name, long offset, int length) throws IOException {
    return inner.getRange(name, offset, length);
  }

  @Override
  public long size(String name) throws IOException {
    return inner.size(name);
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    return inner.list(prefix);
  }

  @Override
  public boolean delete(String name) throws IOException {
    return inner.delete(name);
  }

  @Override
  public int discardAbandonedUploads(Instant startedBefore) throws IOException {
    return inner.discardAbandonedUploads(startedBefore);
  }

  @Override
  public void close() throws IOException {
    inner.close();
  }
}

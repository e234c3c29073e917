package io.snapshotkit.fs.internal.repo;

import io.snapshotkit.fs.store.ObjectStore;
import java.io.IOException;
import java.util.List;

/**
 * A real object store passed through, for tests that count, delay or fail some of its calls. The
 * interface's default methods ({@code uploadUnique}, {@code putUnique}, {@code discard}) are not
 * forwarded: they call this object's {@code upload} and {@code delete}, so a subclass that
 * intercepts those sees every write and delete.
 */
public class ForwardingObjectStore implements ObjectStore {
  private final ObjectStore delegate;

  /** Passes every call to {@code delegate}. */
  public ForwardingObjectStore(ObjectStore delegate) {
    this.delegate = delegate;
  }

  @Override
  public boolean putIfAbsent(String name, byte[] data) throws IOException {
    return delegate.putIfAbsent(name, data);
  }

  @Override
  public Upload upload(String name) throws IOException {
    return delegate.upload(name);
  }

  @Override
  public byte[] get(String name) throws IOException {
    return delegate.get(name);
  }

  @Override
  public byte[] getRange(String name, long offset, int length) throws IOException {
    return delegate.getRange(name, offset, length);
  }

  @Override
  public long size(String name) throws IOException {
    return delegate.size(name);
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    return delegate.list(prefix);
  }

  @Override
  public boolean delete(String name) throws IOException {
    return delegate.delete(name);
  }

  @Override
  public int discardAbandonedUploads(java.time.Instant startedBefore) throws IOException {
    return delegate.discardAbandonedUploads(startedBefore);
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }
}

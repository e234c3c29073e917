package io.snapshotkit.examples.rest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.snapshotkit.SnapshotFile;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.TenantId;
import io.snapshotkit.core.SnapshotEngine;
import io.snapshotkit.examples.internal.JsonViews;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /v1/snapshots/{id}/files/{volume}/{path}}: what a snapshot holds, without restoring
 * it. A directory (or a volume, or the snapshot itself with no path) answers a JSON listing, or a
 * tar with {@code ?format=tar}; a file answers its bytes, honouring a single-range {@code Range}
 * header (206 with {@code Content-Range}; 416 with {@code Content-Range: bytes *}/size when no byte
 * of it exists). A symlink answers its entry as JSON: nothing is read through it. Bodies stream
 * from the host as the client reads them.
 *
 * <p><b>Thread-safety:</b> thread-safe (stateless apart from the engine).
 */
final class FileRoutes {
  /** {@code bytes=first-last}, {@code bytes=first-} or {@code bytes=-suffix}; anything else is ignored (RFC 9110). */
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

  private final SnapshotEngine engine;

  FileRoutes(SnapshotEngine engine) {
    this.engine = engine;
  }

  /** What to send: status, content type, length (-1 for chunked) and the writer of the body. */
  record Download(int status, String contentType, long length, Body body) {}

  /** Writes a response body. */
  interface Body {
    void write(OutputStream out) throws IOException;
  }

  /**
   * Answers a files request; failures before anything is sent are thrown (as every route's are).
   *
   * @param segments the decoded path segments after {@code files}
   */
  Download answer(HttpExchange ex, TenantId tenant, SnapshotId id, List<String> segments, String format) {
    String path = String.join("/", segments);
    if (path.isEmpty()) {
      return listing(tenant, id, path);
    }
    SnapshotFile f = engine.stat(tenant, id, path);
    switch (f.type()) {
      case DIRECTORY:
        if (format.equals("tar")) {
          ex.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"" + ascii(f.name()) + ".tar\"");
          return new Download(200, "application/x-tar", -1, out -> engine.dump(tenant, id, path, out));
        }
        return listing(tenant, id, path);
      case SYMLINK:
        byte[] json = JsonViews.bytes(JsonViews.file(f));
        return new Download(200, "application/json; charset=utf-8", json.length, out -> out.write(json));
      default:
        return file(ex, tenant, id, f);
    }
  }

  /** The listing of a directory {@link #answer} found (or of the snapshot's volumes), streamed. */
  private Download listing(TenantId tenant, SnapshotId id, String path) {
    if (path.isEmpty()) {
      // a handful of volumes: listed before the 200 is sent, so an unknown snapshot is still a 404
      ObjectNode body = JsonViews.object().put("path", path);
      ArrayNode entries = body.putArray("entries");
      engine.listFiles(tenant, id, path, f -> entries.add(JsonViews.file(f)));
      byte[] json = JsonViews.bytes(body);
      return new Download(200, "application/json; charset=utf-8", json.length, out -> out.write(json));
    }
    return new Download(200, "application/json; charset=utf-8", -1, out -> {
      try (JsonGenerator g = JsonViews.mapper().getFactory().createGenerator(out)) {
        g.writeStartObject();
        g.writeStringField("path", path);
        g.writeArrayFieldStart("entries");
        engine.listFiles(tenant, id, path, f -> {
          try {
            g.writeTree(JsonViews.file(f));
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
        g.writeEndArray();
        g.writeEndObject();
      }
    });
  }

  private Download file(HttpExchange ex, TenantId tenant, SnapshotId id, SnapshotFile f) {
    long size = f.size();
    ex.getResponseHeaders().set("Accept-Ranges", "bytes");
    Optional<long[]> range = range(ex.getRequestHeaders().getFirst("Range"), size);
    if (range.isEmpty()) {
      return new Download(200, "application/octet-stream", size,
          out -> engine.read(tenant, id, f.path(), 0, Long.MAX_VALUE, out));
    }
    long first = range.get()[0];
    long last = range.get()[1];
    if (first < 0) {
      ex.getResponseHeaders().set("Content-Range", "bytes */" + size);
      byte[] json = JsonViews.bytes(JsonViews.error("RANGE_NOT_SATISFIABLE", "the range '"
          + ex.getRequestHeaders().getFirst("Range") + "' holds no byte of '" + f.path() + "', which is " + size
          + " bytes long; ask for bytes=0-" + Math.max(0, size - 1) + " or less"));
      return new Download(416, "application/json; charset=utf-8", json.length, out -> out.write(json));
    }
    ex.getResponseHeaders().set("Content-Range", "bytes " + first + "-" + last + "/" + size);
    return new Download(206, "application/octet-stream", last - first + 1,
        out -> engine.read(tenant, id, f.path(), first, last - first + 1, out));
  }

  /**
   * The byte range a {@code Range} header asks for within {@code size} bytes: empty to send the
   * whole file (no header, or one this server does not take: several ranges, another unit,
   * malformed), {@code {-1, -1}} when no byte of it exists (416), else {@code {first, last}}.
   */
  static Optional<long[]> range(String header, long size) {
    if (header == null) {
      return Optional.empty();
    }
    Matcher m = RANGE.matcher(header.trim());
    if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
      return Optional.empty();
    }
    try {
      if (m.group(1).isEmpty()) { // the last n bytes
        long n = Long.parseLong(m.group(2));
        return Optional.of(n == 0 || size == 0 ? new long[] {-1, -1} : new long[] {Math.max(0, size - n), size - 1});
      }
      long first = Long.parseLong(m.group(1));
      long last = m.group(2).isEmpty() ? size - 1 : Long.parseLong(m.group(2));
      if (last < first) {
        return Optional.empty(); // invalid: ignored, the whole file is sent
      }
      if (first >= size) {
        return Optional.of(new long[] {-1, -1});
      }
      return Optional.of(new long[] {first, Math.min(last, size - 1)});
    } catch (NumberFormatException e) {
      return Optional.empty(); // beyond a long: ignored
    }
  }

  private static String ascii(String name) {
    return name.replaceAll("[^A-Za-z0-9._-]", "_");
  }
}

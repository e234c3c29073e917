package io.snapshotkit.fs.internal.archive;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.SerializedString;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.Excludes;
import io.snapshotkit.fs.SnapshotArchive.Header;
import io.snapshotkit.fs.internal.repo.Entry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The manifest of a SnapshotKit archive: the first tar entry, a JSON object whose header fields
 * (format, snapshot, workload, volumes, counts, digest algorithm) come before an {@code entries}
 * array listing every later tar entry in archive order. Both sides stream it: the exporter writes
 * entry records one at a time, the importer reads one record per tar entry (lockstep), so a
 * million-entry archive never needs its manifest as objects in memory.
 *
 * <p><b>Stability:</b> internal.
 *
 * <p><b>Thread-safety:</b> the static methods are thread-safe; a {@link Reader} or {@link
 * EntryWriter} is confined to one thread.
 */
public final class TarManifest {
  /** The manifest's path inside the archive. */
  public static final String PATH = "snapshotkit-archive.json";
  /** The value of the {@code format} field. */
  public static final String FORMAT = "snapshotkit-archive";
  /**
   * The archive format version this code writes. Version 2 writes tar header names and link
   * targets as their raw bytes (ISO-8859-1 headers, GNU long names) and JSON paths and targets as
   * {@link io.snapshotkit.fs.internal.files.RawNames} text, so names that are not UTF-8 round-trip; version 1 wrote UTF-8 pax
   * headers. Both are read.
   */
  public static final int FORMAT_VERSION = 2;
  /** The oldest archive format version this code reads. */
  public static final int OLDEST_FORMAT_VERSION = 1;
  /** The digest algorithm of the {@code sha256} fields. */
  public static final String DIGEST = "SHA-256";
  /** The directory inside the archive that holds one directory per volume. */
  public static final String VOLUMES = "volumes/";

  private static final JsonFactory JSON = JsonFactory.builder().build();

  private TarManifest() {}

  /** The kind of an archive entry. */
  public enum Type {
    /** A directory. */
    DIR,
    /** A regular file. */
    FILE,
    /** A symbolic link. */
    SYMLINK
  }

  /**
   * One entry record.
   *
   * @param path the tar path, without a trailing slash, as {@link io.snapshotkit.fs.internal.files.RawNames} text
   * @param type the entry kind
   * @param size the content size in bytes (0 unless a file)
   * @param sha256 lower-case hex SHA-256 of the content (empty unless a file)
   * @param target the link target, verbatim, as {@link io.snapshotkit.fs.internal.files.RawNames} text (empty unless a symlink)
   * @param mode the POSIX mode bits, setuid, setgid and sticky included (informative; the tar
   *     header is authoritative, and carries no setuid or setgid bit since it names no owner)
   * @param mtime the modification time as an ISO-8601 instant with nanoseconds; the importer
   *     uses it when it agrees with the tar header to the second
   */
  public record Entry(String path, Type type, long size, String sha256, String target, int mode, String mtime) {
    /** Validates. */
    public Entry {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(sha256, "sha256");
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(mtime, "mtime");
    }
  }

  /**
   * Writes entry records as a comma-separated run of JSON objects, the body of the
   * {@code entries} array, to be framed later by {@link #writeManifest}.
   */
  public static final class EntryWriter implements AutoCloseable {
    private final JsonGenerator generator;

    /** A writer onto {@code out}, which it closes on {@link #close()}. */
    public EntryWriter(OutputStream out) throws IOException {
      this.generator = JSON.createGenerator(out);
      this.generator.setRootValueSeparator(new SerializedString(","));
    }

    /** Appends one record. */
    public void write(Entry e) throws IOException {
      generator.writeStartObject();
      generator.writeStringField("path", e.path());
      generator.writeStringField("type", e.type().name().toLowerCase(java.util.Locale.ROOT));
      switch (e.type()) {
        case FILE -> {
          generator.writeNumberField("size", e.size());
          generator.writeStringField("sha256", e.sha256());
        }
        case SYMLINK -> generator.writeStringField("target", e.target());
        case DIR -> { }
      }
      generator.writeNumberField("mode", e.mode());
      generator.writeStringField("mtime", e.mtime());
      generator.writeEndObject();
    }

    @Override
    public void close() throws IOException {
      generator.close();
    }
  }

  /**
   * The manifest's bytes before the entry records: the header object up to the opening of the
   * {@code entries} array.
   *
   * @param excludes the exclude patterns the snapshot was captured with; the {@code excludes}
   *     field is written only when there are some (readers before it skip it as unknown)
   */
  public static byte[] prefix(Header h, List<String> excludes) throws IOException {
    java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
    try (JsonGenerator g = JSON.createGenerator(buffer)) {
      g.writeStartObject();
      g.writeStringField("format", FORMAT);
      g.writeNumberField("formatVersion", FORMAT_VERSION);
      if (h.snapshotId().isPresent()) {
        g.writeStringField("snapshotId", h.snapshotId().get().value());
      }
      if (h.workload().isPresent()) {
        g.writeStringField("tenant", h.workload().get().tenant().value());
        g.writeStringField("workload", h.workload().get().id());
      }
      if (h.capturedAt().isPresent()) {
        g.writeStringField("capturedAt", h.capturedAt().get().toString());
      }
      g.writeNumberField("schemaVersion", h.schemaVersion());
      g.writeStringField("digestAlgorithm", DIGEST);
      g.writeArrayFieldStart("volumes");
      for (String v : h.volumes()) {
        g.writeString(v);
      }
      g.writeEndArray();
      if (!excludes.isEmpty()) {
        g.writeArrayFieldStart("excludes");
        for (String pattern : excludes) {
          g.writeString(pattern);
        }
        g.writeEndArray();
      }
      g.writeNumberField("entryCount", h.entryCount());
      g.writeNumberField("totalBytes", h.totalBytes());
      g.writeFieldName("entries");
      g.writeStartArray();
      g.flush();
      // The generator would close the array and object on close(); keep only what was flushed.
      byte[] bytes = buffer.toByteArray();
      return bytes;
    }
  }

  /** The manifest's closing bytes after the entry records. */
  public static byte[] suffix() {
    return "]}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** Thrown by the {@link Reader} for a manifest that is not well-formed; the message is the reason. */
  public static final class MalformedException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedException(String reason) {
      super(reason);
    }
  }

  /** Reads a manifest: the header at once, then one entry record per call. */
  public static final class Reader implements AutoCloseable {
    private final JsonParser parser;
    private final Header header;
    private List<String> excludes = List.of();
    private int formatVersion;
    private boolean done;

    /** Parses the header from {@code in}, which it closes on {@link #close()}. */
    public Reader(InputStream in) throws IOException, MalformedException {
      this.parser = JSON.createParser(in);
      this.header = readHeader();
    }

    /** The header fields. */
    public Header header() {
      return header;
    }

    /**
     * The exclude patterns the snapshot was captured with, as the manifest lists them (at most
     * {@link Excludes#MAX_PATTERNS}, each valid); empty when it lists none.
     */
    public List<String> excludes() {
      return excludes;
    }

    /** The archive format version the manifest declares (one this code reads). */
    public int formatVersion() {
      return formatVersion;
    }

    private Header readHeader() throws IOException, MalformedException {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new MalformedException("its manifest is not a JSON object");
      }
      String format = null;
      int formatVersion = -1;
      String digest = null;
      Optional<String> snapshotId = Optional.empty();
      Optional<String> tenant = Optional.empty();
      Optional<String> workload = Optional.empty();
      Optional<String> capturedAt = Optional.empty();
      int schemaVersion = -1;
      List<String> volumes = null;
      long entryCount = -1;
      long totalBytes = -1;
      while (true) {
        JsonToken t = parser.nextToken();
        if (t != JsonToken.FIELD_NAME) {
          throw new MalformedException("its manifest has no entries list");
        }
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        switch (name) {
          case "format" -> format = text(value, name);
          case "formatVersion" -> formatVersion = (int) number(value, name);
          case "digestAlgorithm" -> digest = text(value, name);
          case "snapshotId" -> snapshotId = Optional.of(text(value, name));
          case "tenant" -> tenant = Optional.of(text(value, name));
          case "workload" -> workload = Optional.of(text(value, name));
          case "capturedAt" -> capturedAt = Optional.of(text(value, name));
          case "schemaVersion" -> schemaVersion = (int) number(value, name);
          case "entryCount" -> entryCount = number(value, name);
          case "totalBytes" -> totalBytes = number(value, name);
          case "volumes" -> {
            if (value != JsonToken.START_ARRAY) {
              throw new MalformedException("its manifest's volumes field is not a list");
            }
            volumes = new ArrayList<>();
            while (parser.nextToken() == JsonToken.VALUE_STRING) {
              if (volumes.size() >= 10_000) {
                throw new MalformedException("its manifest names more than 10000 volumes");
              }
              volumes.add(parser.getText());
            }
            if (parser.currentToken() != JsonToken.END_ARRAY) {
              throw new MalformedException("its manifest's volumes are not all names");
            }
          }
          case "excludes" -> excludes = patterns(value);
          case "entries" -> {
            if (value != JsonToken.START_ARRAY) {
              throw new MalformedException("its manifest's entries field is not a list");
            }
            if (!FORMAT.equals(format)) {
              throw new MalformedException("it is not a SnapshotKit archive (its manifest has no format '" + FORMAT + "')");
            }
            if (formatVersion < OLDEST_FORMAT_VERSION || formatVersion > FORMAT_VERSION) {
              throw new MalformedException("it has archive format version " + formatVersion
                  + ", which this version of SnapshotKit cannot read (it reads " + OLDEST_FORMAT_VERSION + " to "
                  + FORMAT_VERSION + ")");
            }
            this.formatVersion = formatVersion;
            if (!DIGEST.equals(digest)) {
              throw new MalformedException("its manifest's digest algorithm is not " + DIGEST);
            }
            if (volumes == null || entryCount < 0 || totalBytes < 0 || schemaVersion < 1) {
              throw new MalformedException("its manifest lacks volumes, entryCount, totalBytes or schemaVersion before its entries");
            }
            return header(snapshotId, tenant, workload, capturedAt, schemaVersion, volumes, entryCount, totalBytes);
          }
          default -> parser.skipChildren();
        }
      }
    }

    /** The {@code excludes} list: strings that {@link Excludes#of} accepts, or a malformed manifest. */
    private List<String> patterns(JsonToken value) throws IOException, MalformedException {
      if (value != JsonToken.START_ARRAY) {
        throw new MalformedException("its manifest's excludes field is not a list");
      }
      List<String> patterns = new ArrayList<>();
      while (parser.nextToken() == JsonToken.VALUE_STRING) {
        if (patterns.size() >= Excludes.MAX_PATTERNS) {
          throw new MalformedException("its manifest lists more than " + Excludes.MAX_PATTERNS + " exclude patterns");
        }
        patterns.add(parser.getText());
      }
      if (parser.currentToken() != JsonToken.END_ARRAY) {
        throw new MalformedException("its manifest's exclude patterns are not all strings");
      }
      try {
        return Excludes.of(patterns).patterns();
      } catch (SnapshotException | IllegalArgumentException e) {
        throw new MalformedException("its manifest has an invalid exclude pattern (" + e.getMessage() + ")");
      }
    }

    /** The typed header; an id, workload or time that does not parse is a malformed manifest. */
    private static Header header(Optional<String> snapshotId, Optional<String> tenant, Optional<String> workload,
        Optional<String> capturedAt, int schemaVersion, List<String> volumes, long entryCount, long totalBytes)
        throws MalformedException {
      if (tenant.isPresent() != workload.isPresent()) {
        throw new MalformedException("its manifest names a tenant without a workload, or a workload without a tenant");
      }
      try {
        Optional<SnapshotId> id = snapshotId.map(SnapshotId::parse);
        Optional<WorkloadRef> ref = tenant.isPresent()
            ? Optional.of(WorkloadRef.of(tenant.get(), workload.get())) : Optional.empty();
        Optional<Instant> at = capturedAt.map(Instant::parse);
        return new Header(id, ref, at, schemaVersion, volumes, entryCount, totalBytes);
      } catch (DateTimeParseException e) {
        throw new MalformedException("its manifest's capture time is not an ISO-8601 instant");
      } catch (SnapshotException e) {
        throw new MalformedException("its manifest has an invalid snapshot id or workload (" + e.getMessage() + ")");
      }
    }

    /** The next entry record, or empty after the last one. */
    public Optional<Entry> next() throws IOException, MalformedException {
      if (done) {
        return Optional.empty();
      }
      JsonToken t = parser.nextToken();
      if (t == JsonToken.END_ARRAY) {
        done = true;
        return Optional.empty();
      }
      if (t != JsonToken.START_OBJECT) {
        throw new MalformedException("its manifest has an entry that is not an object");
      }
      String path = null;
      String type = null;
      long size = 0;
      String sha = "";
      String target = "";
      int mode = 0;
      String mtime = "";
      while ((t = parser.nextToken()) == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        switch (name) {
          case "path" -> path = text(value, name);
          case "type" -> type = text(value, name);
          case "size" -> size = number(value, name);
          case "sha256" -> sha = text(value, name);
          case "target" -> target = text(value, name);
          case "mode" -> mode = (int) number(value, name);
          case "mtime" -> mtime = text(value, name);
          default -> parser.skipChildren();
        }
      }
      if (t != JsonToken.END_OBJECT || path == null || type == null) {
        throw new MalformedException("its manifest has an entry without a path or type");
      }
      Type kind;
      switch (type) {
        case "dir" -> kind = Type.DIR;
        case "file" -> kind = Type.FILE;
        case "symlink" -> kind = Type.SYMLINK;
        default -> throw new MalformedException("its manifest has an entry of unknown type '" + type + "'");
      }
      if (kind == Type.FILE && (size < 0 || !sha.matches("[0-9a-f]{64}"))) {
        throw new MalformedException("its manifest has a file entry without a size and SHA-256 digest");
      }
      return Optional.of(new Entry(path, kind, size, sha, target, mode, mtime));
    }

    private String text(JsonToken value, String field) throws IOException, MalformedException {
      if (value != JsonToken.VALUE_STRING) {
        throw new MalformedException("its manifest's field '" + field + "' is not text");
      }
      return parser.getText();
    }

    private long number(JsonToken value, String field) throws IOException, MalformedException {
      if (value != JsonToken.VALUE_NUMBER_INT) {
        throw new MalformedException("its manifest's field '" + field + "' is not a whole number");
      }
      return parser.getLongValue();
    }

    @Override
    public void close() throws IOException {
      parser.close();
    }
  }
}

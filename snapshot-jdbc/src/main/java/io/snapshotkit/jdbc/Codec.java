package io.snapshotkit.jdbc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.ManifestRef;
import io.snapshotkit.SnapshotException;
import java.io.IOException;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Column encodings shared by every dialect: instants as epoch nanoseconds, maps as JSON text.
 * Columns are written and read with Jackson's streaming generator and parser, never an {@code
 * ObjectMapper}: building one initialises much of jackson-databind, 25-35 ms of every cold CLI
 * process that writes a row (a capture), for two flat objects whose shape is fixed here.
 */
final class Codec {
  /** Writes and reads columns. */
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final long NANOS = 1_000_000_000L;

  private Codec() {}

  /** An instant to store, exactly; years outside 1678..2261 cannot be stored. */
  static long nanos(Instant instant) {
    try {
      return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), NANOS), instant.getNano());
    } catch (ArithmeticException e) {
      throw SnapshotException.invalid(
          "the JDBC store keeps times between the years 1678 and 2261; " + instant + " is outside, pass a time in that range");
    }
  }

  /** An instant used only as a query bound: saturates instead of failing. */
  static long boundNanos(Instant instant) {
    try {
      return nanos(instant);
    } catch (SnapshotException e) {
      return instant.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  static Instant instant(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, NANOS), Math.floorMod(nanos, NANOS));
  }

  /** A map as one JSON object of strings, keys in order (as {@link TreeMap} orders them). */
  static String stringMap(Map<String, String> map) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      for (Map.Entry<String, String> e : new TreeMap<>(map).entrySet()) {
        g.writeStringField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw SnapshotException.wrap("encoding a map as JSON", e);
    }
    return out.toString();
  }

  /** A map {@link #stringMap(Map)} wrote: one JSON object of strings, keys in order. */
  static Map<String, String> stringMap(String json) {
    try (JsonParser p = FACTORY.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("not a JSON object");
      }
      Map<String, String> map = new TreeMap<>();
      for (String key = p.nextFieldName(); key != null; key = p.nextFieldName()) {
        if (p.nextToken() != JsonToken.VALUE_STRING) {
          throw new IllegalArgumentException("the value of " + key + " is not a string");
        }
        map.put(key, p.getText());
      }
      if (p.nextToken() != null) {
        throw new IllegalArgumentException("text after the JSON object");
      }
      return map;
    } catch (IOException | IllegalArgumentException e) {
      throw corrupt("a labels or metadata column", e);
    }
  }

  static String manifestRef(ManifestRef ref) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeBooleanField("external", ref.external());
      if (ref.blobKey().isPresent()) {
        g.writeStringField("blobKey", ref.blobKey().get());
      }
      g.writeObjectFieldStart("counts");
      for (Map.Entry<String, Integer> e : new TreeMap<>(ref.counts()).entrySet()) {
        g.writeNumberField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
      g.writeNumberField("bytes", ref.bytes());
      g.writeEndObject();
    } catch (IOException e) {
      throw SnapshotException.wrap("encoding a manifest reference as JSON", e);
    }
    return out.toString();
  }

  static Optional<ManifestRef> manifestRef(String json) {
    if (json == null) {
      return Optional.empty();
    }
    // Read with the streaming parser: this runs for every row a listing returns.
    try (JsonParser p = FACTORY.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("not a JSON object");
      }
      boolean external = false;
      String blobKey = null;
      Map<String, Integer> counts = new TreeMap<>();
      long bytes = 0;
      for (String field = p.nextFieldName(); field != null; field = p.nextFieldName()) {
        JsonToken value = p.nextToken();
        switch (field) {
          case "external" -> external = value == JsonToken.VALUE_TRUE;
          case "blobKey" -> blobKey = value == JsonToken.VALUE_NULL ? null : p.getValueAsString();
          case "bytes" -> bytes = p.getValueAsLong();
          case "counts" -> {
            if (value != JsonToken.START_OBJECT) {
              throw new IllegalArgumentException("counts is not a JSON object");
            }
            for (String family = p.nextFieldName(); family != null; family = p.nextFieldName()) {
              p.nextToken();
              counts.put(family, p.getValueAsInt());
            }
          }
          default -> p.skipChildren();
        }
      }
      return Optional.of(new ManifestRef(external, Optional.ofNullable(blobKey), counts, bytes));
    } catch (IOException | IllegalArgumentException e) {
      throw corrupt("a manifest reference column", e);
    }
  }

  static SnapshotException corrupt(String what, Throwable cause) {
    return new SnapshotException(ErrorCode.CORRUPT,
        "the snapshot database holds an unreadable value in " + what
            + "; restore the database from a backup or remove the damaged row",
        cause);
  }
}

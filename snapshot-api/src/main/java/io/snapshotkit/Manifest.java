package io.snapshotkit;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a snapshot contains: schema version, capture time, workload, partial flag and resource
 * families (family name → resources). Its JSON form, from {@link #toJson()}, is what stores persist.
 *
 * <p>Host agents whose state is large (a file tree with a million entries) keep the detail in
 * their own repository and describe it here by a compact family (one resource per volume, say);
 * they then implement {@link io.snapshotkit.spi.HostDiff} so diffs still reach every file.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param schemaVersion the manifest format version, currently {@value #SCHEMA_VERSION}
 * @param capturedAt when the agent captured it
 * @param workload whose state it is
 * @param partial whether something could not be captured
 * @param families family name → resources, keys unique within a family; copied and sorted by name
 */
public record Manifest(
    int schemaVersion, Instant capturedAt, WorkloadRef workload, boolean partial,
    Map<String, List<Resource>> families) {

  /** The current manifest format version. */
  public static final int SCHEMA_VERSION = 1;

  /** Validates and copies. */
  public Manifest {
    Objects.requireNonNull(capturedAt, "capturedAt");
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(families, "families");
    if (schemaVersion < 1) {
      throw new IllegalArgumentException("schemaVersion must be 1 or more: " + schemaVersion);
    }
    TreeMap<String, List<Resource>> copy = new TreeMap<>();
    families.forEach((family, resources) -> {
      Objects.requireNonNull(family, "family name");
      List<Resource> list = List.copyOf(resources);
      Set<String> keys = new HashSet<>();
      for (Resource r : list) {
        if (!keys.add(r.key())) {
          throw new IllegalArgumentException("family '" + family + "' has two resources with key '" + r.key() + "'");
        }
      }
      copy.put(family, list);
    });
    families = Collections.unmodifiableMap(copy);
  }

  /** A manifest of the current schema version. */
  public static Manifest of(Instant capturedAt, WorkloadRef workload, boolean partial,
      Map<String, List<Resource>> families) {
    return new Manifest(SCHEMA_VERSION, capturedAt, workload, partial, families);
  }

  /** Resources per family. */
  public Map<String, Integer> counts() {
    Map<String, Integer> counts = new TreeMap<>();
    families.forEach((family, list) -> counts.put(family, list.size()));
    return counts;
  }

  /** The resources of one family, empty if the family is absent. */
  public List<Resource> family(String name) {
    return families.getOrDefault(name, List.of());
  }

  /** Serializes to the stable JSON form. */
  public byte[] toJson() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeNumberField("schemaVersion", schemaVersion);
      g.writeStringField("capturedAt", capturedAt.toString());
      g.writeStringField("tenant", workload.tenant().value());
      g.writeStringField("workload", workload.id());
      g.writeBooleanField("partial", partial);
      g.writeObjectFieldStart("counts");
      for (Map.Entry<String, Integer> c : counts().entrySet()) {
        g.writeNumberField(c.getKey(), c.getValue());
      }
      g.writeEndObject();
      g.writeObjectFieldStart("families");
      for (Map.Entry<String, List<Resource>> family : families.entrySet()) {
        g.writeArrayFieldStart(family.getKey());
        for (Resource r : family.getValue()) {
          g.writeStartObject();
          g.writeStringField("id", r.id());
          g.writeStringField("key", r.key());
          g.writeFieldName("document");
          r.writeDocument(g);
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      g.writeEndObject();
      g.writeEndObject();
    } catch (IOException e) {
      throw new SnapshotException(ErrorCode.INTERNAL, "could not serialize a manifest", e);
    }
    return out.toByteArray();
  }

  /**
   * Parses the JSON form.
   *
   * @throws SnapshotException {@link ErrorCode#CORRUPT} if the bytes are not a manifest
   */
  public static Manifest fromJson(byte[] json) {
    Objects.requireNonNull(json, "json");
    try {
      JsonNode root = Json.mapper().readTree(json);
      if (root == null || !root.isObject()) {
        throw corrupt(null);
      }
      Map<String, List<Resource>> families = new TreeMap<>();
      for (Map.Entry<String, JsonNode> e : root.path("families").properties()) {
        List<Resource> list = new ArrayList<>();
        for (JsonNode node : e.getValue()) {
          list.add(new Resource(text(node, "id"), text(node, "key"), node.path("document")));
        }
        families.put(e.getKey(), list);
      }
      return new Manifest(
          root.path("schemaVersion").asInt(0),
          Instant.parse(text(root, "capturedAt")),
          WorkloadRef.of(text(root, "tenant"), text(root, "workload")),
          root.path("partial").asBoolean(false),
          families);
    } catch (IOException | RuntimeException e) {
      if (e instanceof SnapshotException se && se.code() == ErrorCode.CORRUPT) {
        throw se;
      }
      throw corrupt(e);
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw corrupt(null);
    }
    return v.asText();
  }

  private static SnapshotException corrupt(Throwable cause) {
    return new SnapshotException(ErrorCode.CORRUPT,
        "a stored manifest is not valid manifest JSON; run an integrity check and restore the store from backup if it persists",
        cause);
  }
}

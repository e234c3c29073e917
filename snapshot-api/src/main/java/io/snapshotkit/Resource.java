package io.snapshotkit;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.Objects;

/**
 * One captured resource of a family: a stable id, a natural key (what additive restore and diff
 * match on, such as a name or a path), and a JSON document.
 *
 * <p><b>Thread-safety:</b> immutable: the document is copied in and {@link #document()} returns a copy.
 *
 * @param id a stable identifier of the resource
 * @param key the natural key, unique within its family
 * @param document the resource's state
 */
public record Resource(String id, String key, JsonNode document) {
  /** Validates and copies the document. */
  public Resource {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(document, "document");
    if (key.isEmpty()) {
      throw new IllegalArgumentException("a resource's natural key must not be empty");
    }
    document = document.deepCopy();
  }

  /** A copy of the document; mutate it freely. */
  @Override
  public JsonNode document() {
    return document.deepCopy();
  }

  /** Writes the document, without copying it (for {@link Manifest#toJson()}). */
  void writeDocument(JsonGenerator g) throws IOException {
    Json.writeTree(g, document);
  }

  /** Whether this resource's document equals {@code other}'s, without copying either. */
  public boolean sameDocument(Resource other) {
    return document.equals(other.document);
  }
}

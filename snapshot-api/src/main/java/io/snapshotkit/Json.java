package io.snapshotkit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.Map;

/**
 * How the API writes and reads its JSON documents. Package-private. Writing goes through
 * Jackson's streaming generator: an {@link ObjectMapper} is built only where a document is parsed
 * into a tree ({@link #mapper()}), since building one initialises much of jackson-databind, 25-35
 * ms of a cold process (a CLI capture, which only writes a manifest).
 */
final class Json {
  static final JsonFactory FACTORY = new JsonFactory();

  /** Holds the mapper, built on first use. */
  private static final class Mapper {
    static final ObjectMapper MAPPER = JsonMapper.builder()
        .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
        .build();
  }

  private Json() {}

  static ObjectMapper mapper() {
    return Mapper.MAPPER;
  }

  /**
   * Writes a tree as the mapper would: properties in the tree's order, numbers as their node
   * type holds them. A node of another kind (a POJO node) is left to the mapper.
   */
  static void writeTree(JsonGenerator g, JsonNode node) throws IOException {
    switch (node.getNodeType()) {
      case OBJECT -> {
        g.writeStartObject();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
          g.writeFieldName(e.getKey());
          writeTree(g, e.getValue());
        }
        g.writeEndObject();
      }
      case ARRAY -> {
        g.writeStartArray();
        for (JsonNode element : node) {
          writeTree(g, element);
        }
        g.writeEndArray();
      }
      case STRING -> g.writeString(node.textValue());
      case BOOLEAN -> g.writeBoolean(node.booleanValue());
      case NULL -> g.writeNull();
      case BINARY -> g.writeBinary(node.binaryValue());
      case NUMBER -> {
        switch (node.numberType()) {
          case INT -> g.writeNumber(node.intValue());
          case LONG -> g.writeNumber(node.longValue());
          case BIG_INTEGER -> g.writeNumber(node.bigIntegerValue());
          case FLOAT -> g.writeNumber(node.floatValue());
          case DOUBLE -> g.writeNumber(node.doubleValue());
          default -> g.writeNumber(node.decimalValue());
        }
      }
      default -> mapper().writeValue(g, node);
    }
  }
}

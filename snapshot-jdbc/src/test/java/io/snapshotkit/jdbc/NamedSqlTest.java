package io.snapshotkit.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName(":name parameters rewritten to JDBC placeholders")
class NamedSqlTest {
  @Test
  @DisplayName("each :name becomes ?, in order, a repeated name at each of its places")
  void namesInOrder() {
    NamedSql sql = NamedSql.parse("SELECT a FROM t WHERE x = :t AND (y = :w_1 OR z = :t) LIMIT :limit");
    assertEquals("SELECT a FROM t WHERE x = ? AND (y = ? OR z = ?) LIMIT ?", sql.jdbc());
    assertEquals(List.of("t", "w_1", "t", "limit"), sql.names());
  }

  @Test
  @DisplayName("literals, quoted identifiers, comments and :: casts are left alone")
  void quotedTextIsNotAParameter() {
    NamedSql sql = NamedSql.parse("SELECT ':a', 'it''s :b', \"col:c\", :d::BIGINT -- :e\nFROM t WHERE f = :f");
    assertEquals("SELECT ':a', 'it''s :b', \"col:c\", ?::BIGINT -- :e\nFROM t WHERE f = ?", sql.jdbc());
    assertEquals(List.of("d", "f"), sql.names());
  }

  @Test
  @DisplayName("a ? placeholder or an unterminated literal is refused")
  void refusesWhatItCannotRewrite() {
    assertThrows(IllegalArgumentException.class, () -> NamedSql.parse("SELECT 1 WHERE a = ?"));
    assertThrows(IllegalArgumentException.class, () -> NamedSql.parse("SELECT 'open"));
  }

  @Test
  @DisplayName("the same text is parsed once")
  void cached() {
    String text = "SELECT b FROM cached_test WHERE c = :c";
    assertEquals(NamedSql.of(text), NamedSql.of(text));
    assertEquals(List.of("c"), NamedSql.of(text).names());
  }
}

package io.snapshotkit.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/** The builder fails fast on misuse and reports every problem of build() at once. */
@DisplayName("JdbcManifestStore.Builder")
class JdbcManifestStoreBuilderTest {
  @TempDir
  Path dir;

  @Test
  @DisplayName("build() without a database says which methods choose one")
  void noDatabase() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> JdbcManifestStore.builder().build());
    assertTrue(e.getMessage().contains("sqlite(Path)"), e.getMessage());
  }

  @Test
  @DisplayName("choosing a second database names the first")
  void twoDatabases() {
    JdbcManifestStore.Builder b = JdbcManifestStore.builder().sqlite(dir.resolve("a.db"));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.h2("jdbc:h2:mem:x"));
    assertTrue(e.getMessage().contains("SQLITE"), e.getMessage());
  }

  @Test
  @DisplayName("a setting given twice throws, naming the earlier value")
  void doubleSet() {
    JdbcManifestStore.Builder b = JdbcManifestStore.builder().manifestCacheBytes(10);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.manifestCacheBytes(20));
    assertTrue(e.getMessage().contains("10"), e.getMessage());
    b.migrateOnStart(false);
    assertThrows(IllegalStateException.class, () -> b.migrateOnStart(true));
  }

  @Test
  @DisplayName("bad values are rejected at once")
  void badValues() {
    assertThrows(IllegalArgumentException.class, () -> JdbcManifestStore.builder().manifestCacheBytes(-1));
    assertThrows(IllegalArgumentException.class, () -> JdbcManifestStore.builder().sqliteBusyTimeout(Duration.ofSeconds(-1)));
    assertThrows(IllegalArgumentException.class, () -> JdbcManifestStore.builder().h2("jdbc:sqlite:x.db"));
    assertThrows(NullPointerException.class, () -> JdbcManifestStore.builder().postgres(null));
  }

  @Test
  @DisplayName("build() reports every contradictory setting together")
  void everyProblemAtOnce() {
    DataSource ds = new SQLiteDataSource();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> JdbcManifestStore.builder()
        .dataSource(Dialect.POSTGRES, ds).sqliteBusyTimeout(Duration.ofSeconds(1)).build());
    assertTrue(e.getMessage().contains("SQLite only"), e.getMessage());
    assertTrue(e.getMessage().contains("configure your own data source"), e.getMessage());
  }

  @Test
  @DisplayName("a builder builds one store; using it afterwards throws")
  void frozenAfterBuild() {
    JdbcManifestStore.Builder b = JdbcManifestStore.builder().sqlite(dir.resolve("s.db")).migrateOnStart(false);
    JdbcManifestStore store = b.build();
    assertEquals(Dialect.SQLITE, store.dialect());
    assertThrows(IllegalStateException.class, b::build);
    assertThrows(IllegalStateException.class, () -> b.manifestCacheBytes(0));
  }
}

package io.snapshotkit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.reflect.Modifier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SettingsAreViewsTest {

  @ParameterizedTest
  @ValueSource(classes = {EngineSettings.class, DispatcherSettings.class})
  @DisplayName("settings are final read-only views without a public constructor, so adding a setting breaks no caller")
  void noPublicConstructor(Class<?> settings) {
    assertFalse(settings.isRecord(), settings + " is a record: its canonical constructor is public");
    assertEquals(0, settings.getConstructors().length, settings + " has a public constructor");
    assertEquals(true, Modifier.isFinal(settings.getModifiers()), settings + " is not final");
  }
}

package io.snapshotkit.spi;

import io.snapshotkit.FamilyRestore;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a {@link HostAgent} did in a restore; the engine turns it into a
 * {@link io.snapshotkit.RestoreReport}.
 *
 * <p><b>Thread-safety:</b> immutable.
 *
 * @param families per-family outcome
 * @param unsupportedFamilies families in the manifest this agent cannot restore
 * @param warnings other things a person should know, one line each
 */
public record RestoreOutcome(
    Map<String, FamilyRestore> families, List<String> unsupportedFamilies, List<String> warnings) {
  /** Copies. */
  public RestoreOutcome {
    families = Collections.unmodifiableMap(new TreeMap<>(families));
    unsupportedFamilies = List.copyOf(unsupportedFamilies);
    warnings = List.copyOf(warnings);
  }
}

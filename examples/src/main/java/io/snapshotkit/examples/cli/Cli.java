package io.snapshotkit.examples.cli;

import io.snapshotkit.TenantId;

/**
 * Constants of the command-line tool.
 *
 * <p><b>Thread-safety:</b> stateless.
 */
final class Cli {
  /** The CLI is single-tenant: every workload belongs to this tenant. */
  static final TenantId TENANT = TenantId.of("local");

  private Cli() {}
}

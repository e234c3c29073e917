/**
 * A REST server example over {@link io.snapshotkit.core.SnapshotEngine}, on the JDK's built-in HTTP
 * server: capture, list, get, diff, additive restore, rollback and delete, with the tenant taken
 * from a bearer token. See {@link io.snapshotkit.examples.rest.SnapshotServer}.
 */
package io.snapshotkit.examples.rest;

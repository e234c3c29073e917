/**
 * Test support for SnapshotKit users and adapter authors: an in-memory store, fakes with scripted
 * faults, a controllable clock, and the contract suites every adapter runs.
 *
 * <p><b>Stability:</b> public test API.
 */
package io.snapshotkit.testkit;

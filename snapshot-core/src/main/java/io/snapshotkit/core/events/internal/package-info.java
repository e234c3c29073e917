/**
 * Implementation helpers of {@link io.snapshotkit.core.OutboxDispatcher}: backoff arithmetic and
 * throttled failure reporting.
 *
 * <p><b>Stability:</b> internal. These types are public only so that the dispatcher in
 * {@code io.snapshotkit.core} can use them; they may change in any release without notice.
 */
package io.snapshotkit.core.events.internal;

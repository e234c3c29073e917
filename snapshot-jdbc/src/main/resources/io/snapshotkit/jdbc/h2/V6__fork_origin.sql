-- SnapshotKit schema version 6 (h2): where a forked snapshot's data came from (issue 15). A fork's
-- row records the source snapshot's id and workload (same tenant); both are NULL for a captured
-- snapshot. They live in the row so that removing the row removes them, and are written only by
-- the transaction that marks the fork READY.

ALTER TABLE sk_snapshot ADD COLUMN origin_snapshot VARCHAR(26);
ALTER TABLE sk_snapshot ADD COLUMN origin_workload VARCHAR(128);

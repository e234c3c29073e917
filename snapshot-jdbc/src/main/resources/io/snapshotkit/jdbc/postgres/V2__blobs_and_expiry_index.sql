-- SnapshotKit schema version 2 (PostgreSQL): out-of-line manifest blobs, and an index that lets
-- the retention sweeper find expired snapshots without scanning every row.

CREATE TABLE sk_blob (
  blob_key      VARCHAR(512) PRIMARY KEY,
  data          BYTEA        NOT NULL
);

CREATE INDEX sk_snapshot_expiry ON sk_snapshot (status, expires_at);

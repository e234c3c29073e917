-- SnapshotKit schema version 2 (H2): out-of-line manifest blobs, and an index that lets
-- the retention sweeper find expired snapshots without scanning every row.

CREATE TABLE sk_blob (
  blob_key      VARCHAR(512) PRIMARY KEY,
  data          VARBINARY       NOT NULL
);

CREATE INDEX sk_snapshot_expiry ON sk_snapshot (status, expires_at);

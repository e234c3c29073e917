-- SnapshotKit schema version 4 (sqlite): one row per label of a snapshot, so that a list filtered by
-- labels (SnapshotQuery#labels) probes an index instead of decoding every row's labels column.
-- pair_hash is the SHA-256 (hex) of the key, a NUL and the value, in UTF-8: it keeps the index
-- small and free of length limits whatever the label's size; the query compares key and value too.
-- sk_snapshot.labels stays the stored value; this table is kept equal to it on every insert,
-- update and removal, and Migrations fills it from the existing rows when this version is applied.

CREATE TABLE sk_label (
  snapshot_id   VARCHAR(26) NOT NULL,
  pair_hash     VARCHAR(64) NOT NULL,
  label_key     TEXT        NOT NULL,
  label_value   TEXT        NOT NULL,
  PRIMARY KEY (snapshot_id, pair_hash)
);
CREATE INDEX sk_label_pair ON sk_label (pair_hash, snapshot_id);

-- SnapshotKit schema version 1 (SQLite): snapshot rows, inline manifests, per-workload
-- counters, and the event outbox with per-hook delivery state and per-hook+workload claims.
-- Instants are stored as BIGINT nanoseconds since the epoch so that every dialect keeps full precision.

CREATE TABLE sk_snapshot (
  id            VARCHAR(26)  PRIMARY KEY,
  tenant        VARCHAR(128) NOT NULL,
  workload      VARCHAR(128) NOT NULL,
  version       INTEGER,
  name          VARCHAR(256) NOT NULL,
  trig          VARCHAR(32)  NOT NULL,
  status        VARCHAR(16)  NOT NULL,
  parent        VARCHAR(26),
  created_at    BIGINT       NOT NULL,
  expires_at    BIGINT,
  size_bytes    BIGINT,
  partial       BOOLEAN      NOT NULL,
  protected     BOOLEAN      NOT NULL,
  labels        TEXT         NOT NULL,
  host          VARCHAR(256),
  manifest_ref  TEXT,
  failure       TEXT,
  CONSTRAINT sk_snapshot_version_unique UNIQUE (tenant, workload, version)
);
CREATE INDEX sk_snapshot_tenant_id ON sk_snapshot (tenant, id);
CREATE INDEX sk_snapshot_workload_id ON sk_snapshot (tenant, workload, id);

CREATE TABLE sk_manifest (
  snapshot_id   VARCHAR(26) PRIMARY KEY,
  content       BLOB        NOT NULL
);

-- One row per workload: the highest version ever assigned (never decreases, so versions are
-- never reused) and the row every capture of the workload locks for quota checks and appends.
CREATE TABLE sk_workload (
  tenant        VARCHAR(128) NOT NULL,
  workload      VARCHAR(128) NOT NULL,
  last_version  INTEGER      NOT NULL,
  PRIMARY KEY (tenant, workload)
);

CREATE TABLE sk_event (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id      VARCHAR(256) NOT NULL,
  type          VARCHAR(64)  NOT NULL,
  tenant        VARCHAR(128) NOT NULL,
  workload      VARCHAR(128) NOT NULL,
  snapshot_id   VARCHAR(26),
  version       INTEGER      NOT NULL,
  at_nanos      BIGINT       NOT NULL,
  metadata      TEXT         NOT NULL
);

CREATE TABLE sk_hook (
  name          VARCHAR(200) PRIMARY KEY,
  ordinal       INTEGER      NOT NULL,
  start_seq     BIGINT       NOT NULL
);

-- Delivery state of one event for one hook: PENDING (not done yet, maybe waiting for a retry),
-- DONE (acknowledged) or PARKED (given up on; done for ordering, kept until replayed).
CREATE TABLE sk_delivery (
  hook          VARCHAR(200) NOT NULL,
  seq           BIGINT       NOT NULL,
  tenant        VARCHAR(128) NOT NULL,
  workload      VARCHAR(128) NOT NULL,
  state         VARCHAR(8)   NOT NULL,
  attempts      INTEGER      NOT NULL,
  not_before    BIGINT,
  last_error    TEXT,
  parked_at     BIGINT,
  PRIMARY KEY (hook, seq)
);
CREATE INDEX sk_delivery_pending ON sk_delivery (hook, state, tenant, workload, seq);
CREATE INDEX sk_delivery_seq ON sk_delivery (seq);

-- At most one claim per hook and workload: the row dispatchers lock (SKIP LOCKED) to claim.
CREATE TABLE sk_claim (
  hook          VARCHAR(200) NOT NULL,
  tenant        VARCHAR(128) NOT NULL,
  workload      VARCHAR(128) NOT NULL,
  owner         VARCHAR(200),
  seq           BIGINT,
  lease_until   BIGINT,
  PRIMARY KEY (hook, tenant, workload)
);

-- A single row: appends hold it shared and hook registration exclusively, so a hook registered
-- from the BEGINNING never misses an event appended concurrently.
CREATE TABLE sk_outbox_lock (
  id            INTEGER PRIMARY KEY
);
INSERT INTO sk_outbox_lock (id) VALUES (1);

-- SnapshotKit schema version 3 (H2): the host registry (JdbcHostRegistry). One row per host with
-- its agent's address, the status an operator set (ONLINE, or DRAINING after drain), and its last
-- heartbeat (BIGINT nanoseconds since the epoch; NULL until the first one). OFFLINE is never
-- stored: it is derived on read from a heartbeat older than the registry's threshold.
-- Placement says which host runs each workload; a host is only removed once nothing is placed on it.

CREATE TABLE sk_host (
  id              VARCHAR(253) PRIMARY KEY,
  address         VARCHAR(512) NOT NULL,
  status          VARCHAR(16)  NOT NULL DEFAULT 'ONLINE',
  last_heartbeat  BIGINT,
  CONSTRAINT sk_host_status CHECK (status IN ('ONLINE', 'DRAINING'))
);

CREATE TABLE sk_placement (
  tenant        VARCHAR(128) NOT NULL,
  workload      VARCHAR(128) NOT NULL,
  host_id       VARCHAR(253) NOT NULL,
  PRIMARY KEY (tenant, workload)
);
CREATE INDEX sk_placement_host ON sk_placement (host_id, tenant, workload);

-- SnapshotKit schema version 5 (H2): one capture schedule per workload (ScheduleStore).
-- Exactly one of cron_expr (a 5-field Unix cron expression, UTC) and interval_nanos is set;
-- jitter_nanos bounds the deterministic per-slot offset; retention is the policy applied after
-- each scheduled capture (JSON, NULL for none). last_slot (nanoseconds since the epoch) is the
-- most recent slot an engine claimed, or the time the schedule was first set: engines claim a
-- slot with a conditional UPDATE on it, so each slot runs once across every engine instance.
-- runs and skips count the claimed slots that started a capture and that were skipped.

CREATE TABLE sk_schedule (
  tenant          VARCHAR(128) NOT NULL,
  workload        VARCHAR(128) NOT NULL,
  cron_expr       VARCHAR(200),
  interval_nanos  BIGINT,
  jitter_nanos    BIGINT       NOT NULL,
  retention       VARCHAR,
  last_slot       BIGINT       NOT NULL,
  runs            BIGINT       NOT NULL DEFAULT 0,
  skips           BIGINT       NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, workload),
  CONSTRAINT sk_schedule_timing CHECK (cron_expr IS NOT NULL OR interval_nanos IS NOT NULL)
);

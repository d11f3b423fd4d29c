-- Incremental audit.verify: how far the books have been verified, and the full
-- re-verifications that run as jobs in chunks (Schema/code/audit_progress.sql).

-- One row per verified subject. A numbering series ('invoice/2026',
-- 'credit_note/0'): last_id is the last verified seq and last_hash the hash that
-- document had when it was verified, the anchor the next documents must chain
-- to. A table whose new rows are checked by id ('payments',
-- 'payment_allocations', 'refunds', 'receivable_events', 'stock_movements'):
-- last_id is the highest id verified. audit.verify checks only what lies past
-- these marks and moves them on when it finds nothing; a full run moves them to
-- where it got.
CREATE TABLE audit_marks (
    subject      text PRIMARY KEY,
    last_id      bigint NOT NULL CHECK (last_id >= 0),
    last_hash    text,
    verified_at  timestamptz NOT NULL DEFAULT now()
);

-- Full re-verifications (audit.verify_start / audit.verify_step): each step is
-- its own short transaction that verifies the next chunks from `stage` and
-- `position` on. `bounds` are the series heads and highest ids when the job
-- started (the job verifies up to them and records them as marks when done);
-- `done` of `total` units (documents and rows) are verified; `problems` holds
-- the first 1000 problems found, `problem_count` all of them.
CREATE TABLE audit_jobs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_by     bigint,
    started_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    stage          text NOT NULL,
    position       jsonb NOT NULL DEFAULT '{}',
    bounds         jsonb NOT NULL,
    done           bigint NOT NULL DEFAULT 0,
    total          bigint NOT NULL,
    steps          int NOT NULL DEFAULT 0,
    problem_count  bigint NOT NULL DEFAULT 0,
    problems       jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX audit_jobs_finished ON audit_jobs (finished_at) WHERE finished_at IS NOT NULL;

GRANT SELECT, INSERT, UPDATE ON audit_marks, audit_jobs TO {{tenant_role}};

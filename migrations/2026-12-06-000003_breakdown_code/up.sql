-- The breakdowns by agent and by attribute (a repository, say) carry the
-- agents' code too: lines added and removed, commits, pull requests. A
-- model has none (code is not made by one model). Existing orgs are broken
-- down again by a job each.
ALTER TABLE org_daily_breakdowns
  ADD COLUMN lines_added bigint NOT NULL DEFAULT 0,
  ADD COLUMN lines_removed bigint NOT NULL DEFAULT 0,
  ADD COLUMN commits bigint NOT NULL DEFAULT 0,
  ADD COLUMN pull_requests bigint NOT NULL DEFAULT 0;

INSERT INTO jobs (kind, org_id, params, created_by)
SELECT 'REPLAY', id, '{"projector": "breakdowns", "reason": "code by agent and attribute"}'::jsonb, 'migration'
FROM orgs;

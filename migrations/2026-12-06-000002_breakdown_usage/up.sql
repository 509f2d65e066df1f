-- The breakdowns carry the usage of model calls too: how many, the cache's
-- tokens, and the part of the cost estimated from prices. Existing orgs are
-- broken down again by a job each.
ALTER TABLE org_daily_breakdowns
  ADD COLUMN model_calls bigint NOT NULL DEFAULT 0,
  ADD COLUMN cache_read_tokens bigint NOT NULL DEFAULT 0,
  ADD COLUMN cache_creation_tokens bigint NOT NULL DEFAULT 0,
  ADD COLUMN estimated_cost_usd numeric(38, 9) NOT NULL DEFAULT 0;

INSERT INTO jobs (kind, org_id, params, created_by)
SELECT 'REPLAY', id, '{"projector": "breakdowns", "reason": "model call usage"}'::jsonb, 'migration'
FROM orgs;

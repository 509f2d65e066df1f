-- Waste beside spend: the cost of runs that ended FAILED or CANCELLED, of
-- model calls that failed for good, and of sessions that reported no code
-- change, per day for the org and each user. Existing orgs are rolled up
-- again by a job each (the sums need each session's whole fold).
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['org_daily', 'user_daily']
  LOOP
    EXECUTE format('ALTER TABLE %I
      ADD COLUMN failed_run_cost_usd numeric NOT NULL DEFAULT 0,
      ADD COLUMN failed_call_cost_usd numeric NOT NULL DEFAULT 0,
      ADD COLUMN no_code_cost_usd numeric NOT NULL DEFAULT 0', t);
  END LOOP;
END
$$;

INSERT INTO jobs (kind, org_id, params, created_by)
SELECT 'REPLAY', id, '{"projector": "rollups", "reason": "waste figures"}'::jsonb, 'migration'
FROM orgs;

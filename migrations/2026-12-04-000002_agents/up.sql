-- What the agents people run report beyond runs (SPEC section 11): model
-- calls with tokens by kind, tool calls, code changes, and the producing
-- agent. Sums per day beside the run figures; per session and per run.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['org_daily', 'user_daily']
  LOOP
    EXECUTE format('ALTER TABLE %I
      ADD COLUMN model_calls bigint NOT NULL DEFAULT 0,
      ADD COLUMN failed_model_calls bigint NOT NULL DEFAULT 0,
      ADD COLUMN cache_read_tokens bigint NOT NULL DEFAULT 0,
      ADD COLUMN cache_creation_tokens bigint NOT NULL DEFAULT 0,
      ADD COLUMN estimated_cost_usd numeric NOT NULL DEFAULT 0,
      ADD COLUMN unpriced_model_calls bigint NOT NULL DEFAULT 0,
      ADD COLUMN tool_calls bigint NOT NULL DEFAULT 0,
      ADD COLUMN failed_tool_calls bigint NOT NULL DEFAULT 0,
      ADD COLUMN rejected_tool_calls bigint NOT NULL DEFAULT 0,
      ADD COLUMN lines_added bigint NOT NULL DEFAULT 0,
      ADD COLUMN lines_removed bigint NOT NULL DEFAULT 0,
      ADD COLUMN commits bigint NOT NULL DEFAULT 0,
      ADD COLUMN pull_requests bigint NOT NULL DEFAULT 0', t);
  END LOOP;
END
$$;

ALTER TABLE sessions
  ADD COLUMN agent text,
  ADD COLUMN model_calls integer NOT NULL DEFAULT 0,
  ADD COLUMN failed_model_calls integer NOT NULL DEFAULT 0,
  ADD COLUMN cache_read_tokens bigint NOT NULL DEFAULT 0,
  ADD COLUMN cache_creation_tokens bigint NOT NULL DEFAULT 0,
  ADD COLUMN estimated_cost_usd numeric(38, 9) NOT NULL DEFAULT 0,
  ADD COLUMN tool_calls integer NOT NULL DEFAULT 0,
  ADD COLUMN failed_tool_calls integer NOT NULL DEFAULT 0,
  ADD COLUMN rejected_tool_calls integer NOT NULL DEFAULT 0,
  ADD COLUMN lines_added bigint NOT NULL DEFAULT 0,
  ADD COLUMN lines_removed bigint NOT NULL DEFAULT 0,
  ADD COLUMN commits integer NOT NULL DEFAULT 0,
  ADD COLUMN pull_requests integer NOT NULL DEFAULT 0;

ALTER TABLE runs
  ADD COLUMN model_calls integer NOT NULL DEFAULT 0,
  ADD COLUMN failed_model_calls integer NOT NULL DEFAULT 0,
  ADD COLUMN cache_read_tokens bigint NOT NULL DEFAULT 0,
  ADD COLUMN cache_creation_tokens bigint NOT NULL DEFAULT 0,
  ADD COLUMN tool_calls integer NOT NULL DEFAULT 0,
  ADD COLUMN cost_source text NOT NULL DEFAULT 'REPORTED'
    CHECK (cost_source IN ('REPORTED', 'ESTIMATED', 'UNPRICED'));

-- Tool calls per day and tool, with the durations' sketch, exact like the
-- rollups; what each session last contributed.
CREATE TABLE org_daily_tools (
  org_id uuid NOT NULL,
  day date NOT NULL,
  tool text NOT NULL,
  calls bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  accepted bigint NOT NULL DEFAULT 0,
  rejected bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, day, tool)
);
CREATE TABLE org_daily_tool_durations (
  org_id uuid NOT NULL,
  day date NOT NULL,
  tool text NOT NULL,
  bucket integer NOT NULL,
  count bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, day, tool, bucket)
);
CREATE TABLE tool_contributions (
  org_id uuid NOT NULL,
  session_id text NOT NULL,
  contribution jsonb NOT NULL,
  PRIMARY KEY (org_id, session_id)
);
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['org_daily_tools', 'org_daily_tool_durations', 'tool_contributions']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (org_id = current_org_id()) '
                   'WITH CHECK (org_id = current_org_id())', t);
    EXECUTE format('GRANT SELECT ON %I TO agentmon_app', t);
  END LOOP;
END
$$;

-- The breakdowns gain the agent dimension: existing orgs are broken down
-- again by a job each (new orgs start with it).
INSERT INTO jobs (kind, org_id, params, created_by)
SELECT 'REPLAY', id, '{"projector": "breakdowns", "reason": "agent dimension"}'::jsonb, 'migration'
FROM orgs;

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

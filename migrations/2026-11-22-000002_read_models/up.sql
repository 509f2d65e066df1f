-- Read models derived by the projectors. Everything here can be rebuilt from
-- events (`agentmon replay`). Tenant keys start with org_id; RLS binds the
-- API role to the request's org.

ALTER TABLE users
  ADD COLUMN email_at timestamptz,
  ADD COLUMN email_event uuid,
  ADD COLUMN name_at timestamptz,
  ADD COLUMN name_event uuid;

CREATE TABLE sessions (
  org_id uuid NOT NULL,
  session_id text NOT NULL,
  user_id text NOT NULL,
  started_at timestamptz NOT NULL,
  last_event_at timestamptz NOT NULL,
  day date NOT NULL,                       -- of started_at, in the org's time zone
  event_count integer NOT NULL,
  message_count integer NOT NULL,
  run_count integer NOT NULL,
  succeeded_runs integer NOT NULL,
  failed_runs integer NOT NULL,
  cancelled_runs integer NOT NULL,
  cost_usd numeric(38, 9) NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  active_time_ms bigint NOT NULL,
  handed_off boolean NOT NULL,
  iterated_after_handoff boolean NOT NULL,
  attributes jsonb NOT NULL,
  PRIMARY KEY (org_id, session_id)
);
CREATE INDEX sessions_by_activity ON sessions (org_id, last_event_at DESC, session_id DESC);
CREATE INDEX sessions_by_user ON sessions (org_id, user_id, last_event_at DESC, session_id DESC);
CREATE INDEX sessions_by_day ON sessions (org_id, day);
CREATE INDEX sessions_attributes ON sessions USING gin (attributes jsonb_path_ops);

CREATE TABLE runs (
  org_id uuid NOT NULL,
  run_id text NOT NULL,
  session_id text NOT NULL,
  user_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
  model text,
  started_at timestamptz,
  finished_at timestamptz,
  day date,                                -- of finished_at, in the org's time zone
  duration_ms bigint,
  error_category text,
  error_message text,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cost_usd numeric(38, 9) NOT NULL,
  PRIMARY KEY (org_id, run_id)
);
CREATE INDEX runs_by_session ON runs (org_id, session_id);

-- One row per handoff event, with whether the user iterated within 4 h.
CREATE TABLE handoffs (
  org_id uuid NOT NULL,
  event_id uuid NOT NULL,
  session_id text NOT NULL,
  user_id text NOT NULL,
  at timestamptz NOT NULL,
  target text NOT NULL,
  iterated boolean NOT NULL,
  PRIMARY KEY (org_id, event_id)
);
CREATE INDEX handoffs_by_session ON handoffs (org_id, session_id);

-- Daily rollups. Sessions count on the day of their start, runs on the day
-- they finished, activity on every day with an event.
CREATE TABLE org_daily (
  org_id uuid NOT NULL,
  day date NOT NULL,
  active_users integer NOT NULL DEFAULT 0,
  event_count bigint NOT NULL DEFAULT 0,
  sessions integer NOT NULL DEFAULT 0,
  session_runs bigint NOT NULL DEFAULT 0,
  session_active_ms bigint NOT NULL DEFAULT 0,
  handed_off integer NOT NULL DEFAULT 0,
  iterated integer NOT NULL DEFAULT 0,
  runs integer NOT NULL DEFAULT 0,
  succeeded integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  cancelled integer NOT NULL DEFAULT 0,
  cost_usd numeric(38, 9) NOT NULL DEFAULT 0,
  input_tokens bigint NOT NULL DEFAULT 0,
  output_tokens bigint NOT NULL DEFAULT 0,
  failed_tool integer NOT NULL DEFAULT 0,
  failed_model integer NOT NULL DEFAULT 0,
  failed_timeout integer NOT NULL DEFAULT 0,
  failed_other integer NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, day)
);

CREATE TABLE user_daily (
  org_id uuid NOT NULL,
  user_id text NOT NULL,
  day date NOT NULL,
  event_count bigint NOT NULL DEFAULT 0,
  sessions integer NOT NULL DEFAULT 0,
  session_runs bigint NOT NULL DEFAULT 0,
  session_active_ms bigint NOT NULL DEFAULT 0,
  handed_off integer NOT NULL DEFAULT 0,
  iterated integer NOT NULL DEFAULT 0,
  runs integer NOT NULL DEFAULT 0,
  succeeded integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  cancelled integer NOT NULL DEFAULT 0,
  cost_usd numeric(38, 9) NOT NULL DEFAULT 0,
  input_tokens bigint NOT NULL DEFAULT 0,
  output_tokens bigint NOT NULL DEFAULT 0,
  failed_tool integer NOT NULL DEFAULT 0,
  failed_model integer NOT NULL DEFAULT 0,
  failed_timeout integer NOT NULL DEFAULT 0,
  failed_other integer NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, user_id, day)
);
CREATE INDEX user_daily_by_day ON user_daily (org_id, day) INCLUDE (user_id, event_count, runs);

-- Mergeable duration sketches (DDSketch buckets, 1 % relative accuracy):
-- count of finished runs per bucket per day.
CREATE TABLE org_daily_durations (
  org_id uuid NOT NULL,
  day date NOT NULL,
  bucket integer NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (org_id, day, bucket)
);
CREATE TABLE user_daily_durations (
  org_id uuid NOT NULL,
  user_id text NOT NULL,
  day date NOT NULL,
  bucket integer NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (org_id, user_id, day, bucket)
);

-- What each session last contributed to the rollups, so that a re-projection
-- applies exactly the difference.
CREATE TABLE rollup_contributions (
  org_id uuid NOT NULL,
  session_id text NOT NULL,
  contribution jsonb NOT NULL,
  PRIMARY KEY (org_id, session_id)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['sessions', 'runs', 'handoffs', 'org_daily', 'user_daily',
                           'org_daily_durations', 'user_daily_durations', 'rollup_contributions']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (org_id = current_org_id()) '
                   'WITH CHECK (org_id = current_org_id())', t);
    EXECUTE format('GRANT SELECT ON %I TO agentmon_app', t);
  END LOOP;
END
$$;

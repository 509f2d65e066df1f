-- Alert rules: a metric of an org, a team or a user over a calendar window
-- (hour, day, Monday–Sunday week, month in the org's time zone) against a
-- threshold; a budget is a COST_USD rule with a warning fraction. Each
-- rule's state in its current window; each state change notified once
-- (the unique key holds however many workers evaluate), and delivered to
-- the rule's channels with the same delivery id on every attempt.
CREATE TABLE alert_rules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  metric text NOT NULL CHECK (metric IN ('COST_USD', 'RUNS', 'FAILED_RUNS', 'SUCCESS_RATE',
    'DURATION_P95_MS', 'FAILED_MODEL_CALLS', 'FAILED_TOOL_CALLS', 'SILENCE_MINUTES', 'DEAD_LETTERS')),
  "window" text NOT NULL CHECK ("window" IN ('HOUR', 'DAY', 'WEEK', 'MONTH')),
  comparison text NOT NULL CHECK (comparison IN ('ABOVE', 'BELOW')),
  threshold double precision NOT NULL,
  warn_at double precision CHECK (warn_at > 0 AND warn_at < 1),
  team_id uuid,
  user_id text,
  channel_ids uuid[] NOT NULL DEFAULT '{}',
  enabled boolean NOT NULL DEFAULT true,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (team_id IS NULL OR user_id IS NULL)
);
CREATE INDEX alert_rules_by_org ON alert_rules (org_id, created_at);

CREATE TABLE alert_states (
  rule_id uuid PRIMARY KEY REFERENCES alert_rules (id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES orgs (id),
  window_start timestamptz NOT NULL,
  state text NOT NULL CHECK (state IN ('OK', 'WARNING', 'FIRING')),
  value double precision,
  evaluated_at timestamptz NOT NULL
);

CREATE TABLE alert_notifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  rule_id uuid NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  window_start timestamptz NOT NULL,
  state text NOT NULL CHECK (state IN ('OK', 'WARNING', 'FIRING')),
  value double precision NOT NULL,
  threshold double precision NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (rule_id, window_start, state)
);
CREATE INDEX alert_notifications_by_org ON alert_notifications (org_id, at DESC, id DESC);

ALTER TABLE alert_deliveries
  ADD COLUMN notification_id uuid REFERENCES alert_notifications (id) ON DELETE CASCADE,
  ADD COLUMN next_attempt_at timestamptz;
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE status = 'PENDING';

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['alert_rules', 'alert_states', 'alert_notifications']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (org_id = current_org_id()) '
                   'WITH CHECK (org_id = current_org_id())', t);
  END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON alert_rules TO agentmon_app;
GRANT SELECT ON alert_states, alert_notifications TO agentmon_app;

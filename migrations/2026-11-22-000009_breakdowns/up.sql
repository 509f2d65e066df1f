-- Breakdowns: the overview's run figures by model and by up to five
-- attribute keys an ORG_ADMIN chooses, per day, exact like the rollups.

ALTER TABLE orgs ADD COLUMN breakdown_keys text[] NOT NULL DEFAULT '{}'
  CHECK (cardinality(breakdown_keys) <= 5);

-- dimension: 'model' or 'attr:<key>'; value: the model or the attribute's
-- value as text, '(none)' when absent.
CREATE TABLE org_daily_breakdowns (
  org_id uuid NOT NULL,
  dimension text NOT NULL,
  day date NOT NULL,
  value text NOT NULL,
  sessions bigint NOT NULL DEFAULT 0,
  runs bigint NOT NULL DEFAULT 0,
  succeeded bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  cancelled bigint NOT NULL DEFAULT 0,
  cost_usd numeric(38, 9) NOT NULL DEFAULT 0,
  input_tokens bigint NOT NULL DEFAULT 0,
  output_tokens bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, dimension, day, value)
);

-- What each session last contributed, so that a re-projection applies
-- exactly the difference.
CREATE TABLE breakdown_contributions (
  org_id uuid NOT NULL,
  session_id text NOT NULL,
  contribution jsonb NOT NULL,
  PRIMARY KEY (org_id, session_id)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['org_daily_breakdowns', 'breakdown_contributions']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (org_id = current_org_id()) '
                   'WITH CHECK (org_id = current_org_id())', t);
    EXECUTE format('GRANT SELECT ON %I TO agentmon_app', t);
  END LOOP;
END
$$;

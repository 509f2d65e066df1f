-- What projection keeps of each session and each run between batches, so
-- that a batch takes in only its new events and the runs they touch. A
-- session without a row is folded from its stored events once.
CREATE TABLE session_folds (
  org_id uuid NOT NULL,
  session_id text NOT NULL,
  state jsonb NOT NULL,
  PRIMARY KEY (org_id, session_id)
);

CREATE TABLE run_folds (
  org_id uuid NOT NULL,
  session_id text NOT NULL,
  run_id text NOT NULL,
  state jsonb NOT NULL,
  PRIMARY KEY (org_id, session_id, run_id)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['session_folds', 'run_folds']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (org_id = current_org_id()) '
                   'WITH CHECK (org_id = current_org_id())', t);
  END LOOP;
END
$$;

-- Runs of sources that send no end and are not ended yet, by their last
-- event: the worker ends those quiet for AGENTMON_RUN_IDLE.
CREATE TABLE open_runs (
  org_id uuid NOT NULL,
  session_id text NOT NULL,
  run_id text NOT NULL,
  last_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, session_id, run_id)
);
CREATE INDEX open_runs_by_quiet ON open_runs (last_at);
ALTER TABLE open_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON open_runs USING (org_id = current_org_id())
  WITH CHECK (org_id = current_org_id());

-- The data lifecycle: long operations run as jobs in the worker, erasure
-- receipts, and the indexes retention and a user's export walk.

CREATE TABLE jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('REPLAY', 'TIMEZONE_CHANGE', 'RETENTION', 'ERASURE')),
  org_id uuid REFERENCES orgs (id),        -- NULL: every org (SUPER_ADMIN only)
  params jsonb NOT NULL DEFAULT '{}'::jsonb,
  status text NOT NULL DEFAULT 'QUEUED' CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')),
  progress double precision NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
  -- The org whose projection waits while this job rebuilds it.
  paused_org uuid,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  started_at timestamptz,
  finished_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  error text,
  result jsonb
);
CREATE INDEX jobs_open ON jobs (created_at, id) WHERE status IN ('QUEUED', 'RUNNING');
CREATE INDEX jobs_paused ON jobs (paused_org) WHERE paused_org IS NOT NULL;
CREATE INDEX jobs_newest ON jobs (created_at DESC, id DESC);
CREATE INDEX jobs_by_org ON jobs (org_id, created_at DESC);

-- What an erasure removed; stays readable after the user's data is gone.
CREATE TABLE erasures (
  org_id uuid NOT NULL REFERENCES orgs (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id text NOT NULL,
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  job_id uuid NOT NULL REFERENCES jobs (id),
  events bigint NOT NULL DEFAULT 0,
  sessions bigint NOT NULL DEFAULT 0,
  runs bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, id)
);
-- One open erasure per user.
CREATE UNIQUE INDEX erasures_open ON erasures (org_id, user_id) WHERE completed_at IS NULL;

ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON jobs USING (org_id = current_org_id())
  WITH CHECK (org_id = current_org_id());
ALTER TABLE erasures ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON erasures USING (org_id = current_org_id())
  WITH CHECK (org_id = current_org_id());
GRANT SELECT, INSERT, UPDATE (status, progress, attempts, error, finished_at, created_at) ON jobs TO agentmon_app;
GRANT SELECT, INSERT ON erasures TO agentmon_app;

-- A user's sessions (export, erasure) and the ids past a retention cutoff.
CREATE INDEX session_owners_by_user ON session_owners (org_id, user_id);
CREATE INDEX event_keys_by_time ON event_keys (org_id, occurred_at);
CREATE INDEX sessions_by_start ON sessions (org_id, started_at);

-- Queue health per org for /metrics (an operator endpoint), readable by the
-- request login without reading any tenant row: counts and ages only.
CREATE FUNCTION platform_queue_health()
  RETURNS TABLE (slug text, queued bigint, oldest_seconds double precision, dead_letters bigint)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT o.slug,
           coalesce(q.n, 0),
           coalesce(extract(epoch FROM now() - q.oldest)::double precision, 0),
           coalesce(d.n, 0)
    FROM orgs o
    LEFT JOIN (SELECT org_id, count(*) AS n, min(enqueued_at) AS oldest
               FROM projection_queue GROUP BY org_id) q ON q.org_id = o.id
    LEFT JOIN (SELECT org_id, count(*) AS n FROM dead_letters GROUP BY org_id) d ON d.org_id = o.id
    ORDER BY o.slug
  $$;
REVOKE ALL ON FUNCTION platform_queue_health() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform_queue_health() TO agentmon_app;

-- Hardening: a run belongs to one session; requests log in as a role that
-- is neither a superuser nor the owner; cross-org figures come through
-- functions that return aggregates only.

-- A run belongs to the session of its first stored event (like
-- session_owners for users). Filled from the events stored so far.
CREATE TABLE run_owners (
  org_id uuid NOT NULL REFERENCES orgs (id),
  run_id text NOT NULL,
  session_id text NOT NULL,
  PRIMARY KEY (org_id, run_id)
);
INSERT INTO run_owners (org_id, run_id, session_id)
SELECT DISTINCT ON (org_id, run_id) org_id, run_id, session_id
  FROM events
 WHERE run_id IS NOT NULL
 ORDER BY org_id, run_id, received_at, occurred_at, event_id;
ALTER TABLE run_owners ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON run_owners USING (org_id = current_org_id())
  WITH CHECK (org_id = current_org_id());
GRANT SELECT, INSERT ON run_owners TO agentmon_app;

-- The login of every request: a member of agentmon_app and nothing else,
-- so no statement it runs can leave row-level security (RESET ROLE finds
-- agentmon_api, which RLS binds too). Its password is set by the server at
-- start-up (embedded) or by the operator (DATABASE_APP_URL).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'agentmon_api') THEN
    CREATE ROLE agentmon_api LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION INHERIT;
  END IF;
END
$$;
GRANT agentmon_app TO agentmon_api;

-- Cross-org figures for the global overview: the org-level day rollups of
-- every org, the durations behind their percentiles, and the count of
-- distinct active users. SECURITY DEFINER so that the request role reads
-- aggregates across orgs without being able to read any org's rows.
CREATE FUNCTION platform_org_daily(from_day date, to_day date) RETURNS SETOF org_daily
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT * FROM org_daily WHERE day BETWEEN from_day AND to_day $$;
CREATE FUNCTION platform_org_daily_durations(from_day date, to_day date)
  RETURNS SETOF org_daily_durations
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT * FROM org_daily_durations WHERE day BETWEEN from_day AND to_day $$;
CREATE FUNCTION platform_active_users(from_day date, to_day date) RETURNS bigint
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT count(*) FROM (SELECT DISTINCT org_id, user_id FROM user_daily
                               WHERE day BETWEEN from_day AND to_day AND event_count > 0) u $$;
REVOKE ALL ON FUNCTION platform_org_daily(date, date), platform_org_daily_durations(date, date),
  platform_active_users(date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform_org_daily(date, date), platform_org_daily_durations(date, date),
  platform_active_users(date, date) TO agentmon_app;

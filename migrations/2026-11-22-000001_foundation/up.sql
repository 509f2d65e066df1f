-- The foundation: orgs, users, the write-once event log, the projection
-- queue, dead letters and the audit log. Every tenant table keys on org_id
-- first and is bound by row-level security to the request's org.

-- The role the API runs its tenant transactions as: not the owner, so RLS
-- applies. Roles are cluster-wide; create it once.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'agentmon_app') THEN
    CREATE ROLE agentmon_app NOLOGIN NOBYPASSRLS;
  END IF;
END
$$;
GRANT agentmon_app TO CURRENT_USER;

-- The org of the current transaction, or NULL when none is set.
CREATE FUNCTION current_org_id() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT NULLIF(current_setting('app.org_id', true), '')::uuid $$;

CREATE TABLE orgs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name text NOT NULL,
  status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED')),
  timezone text NOT NULL DEFAULT 'UTC',
  retention_days integer NOT NULL DEFAULT 365 CHECK (retention_days > 0),
  -- bumped by the worker after each commit that touched the org; cache keys carry it
  projection_epoch bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  org_id uuid NOT NULL REFERENCES orgs (id),
  user_id text NOT NULL,
  email text,
  name text,
  role text CHECK (role IN ('MEMBER', 'MANAGER', 'ORG_ADMIN', 'SUPPORT', 'SUPER_ADMIN')),
  first_seen_at timestamptz,
  last_active_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id)
);

-- Idempotency ledger: (org_id, event_id) is unique across all partitions of
-- events, which a partitioned table cannot enforce by itself.
CREATE TABLE event_keys (
  org_id uuid NOT NULL REFERENCES orgs (id),
  event_id uuid NOT NULL,
  occurred_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, event_id)
);

-- A session belongs to the user of its first stored event.
CREATE TABLE session_owners (
  org_id uuid NOT NULL REFERENCES orgs (id),
  session_id text NOT NULL,
  user_id text NOT NULL,
  PRIMARY KEY (org_id, session_id)
);

-- The write-once event log, range-partitioned by month of occurred_at.
CREATE TABLE events (
  org_id uuid NOT NULL,
  occurred_at timestamptz NOT NULL,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  session_id text NOT NULL,
  user_id text NOT NULL,
  run_id text,
  payload jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, occurred_at, event_id)
) PARTITION BY RANGE (occurred_at);

CREATE INDEX events_session ON events (org_id, session_id, occurred_at);

-- Creates the month partition of events holding `at`, if it is missing.
-- SECURITY DEFINER so that the API role can call it without owning events.
CREATE FUNCTION ensure_event_partition(at timestamptz) RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
DECLARE
  month_start timestamptz := date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  month_end timestamptz := month_start + interval '1 month';
  part text := 'events_' || to_char(month_start AT TIME ZONE 'UTC', 'YYYY"m"MM');
BEGIN
  IF to_regclass(part) IS NOT NULL THEN
    RETURN part;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('agentmon.events.' || part));
  IF to_regclass(part) IS NULL THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                   part, month_start, month_end);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', part);
  END IF;
  RETURN part;
END
$$;
REVOKE ALL ON FUNCTION ensure_event_partition(timestamptz) FROM PUBLIC;

-- Events waiting for the projectors. A row is deleted in the transaction
-- that projects its event.
CREATE TABLE projection_queue (
  org_id uuid NOT NULL,
  event_id uuid NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  occurred_at timestamptz NOT NULL,
  enqueued_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  PRIMARY KEY (org_id, event_id)
);
CREATE INDEX projection_queue_ready ON projection_queue (next_attempt_at, seq);

CREATE TABLE dead_letters (
  org_id uuid NOT NULL,
  event_id uuid NOT NULL,
  occurred_at timestamptz NOT NULL,
  attempts integer NOT NULL,
  error text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, event_id)
);

CREATE TABLE audit_log (
  org_id uuid NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  at timestamptz NOT NULL DEFAULT now(),
  actor_sub text NOT NULL,
  actor_role text NOT NULL,
  action text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (org_id, id)
);

-- Row-level security: a tenant row is visible to, and writable by, the
-- transaction whose app.org_id names its org. The owner (migrations, the
-- worker) is not bound; agentmon_app is.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'event_keys', 'session_owners', 'events',
                           'projection_queue', 'dead_letters', 'audit_log']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (org_id = current_org_id()) '
                   'WITH CHECK (org_id = current_org_id())', t);
  END LOOP;
END
$$;

GRANT USAGE ON SCHEMA public TO agentmon_app;
GRANT SELECT ON orgs TO agentmon_app;
GRANT SELECT, INSERT, UPDATE ON users, session_owners TO agentmon_app;
GRANT SELECT, INSERT ON event_keys, events, projection_queue, audit_log TO agentmon_app;
GRANT SELECT ON dead_letters TO agentmon_app;
GRANT EXECUTE ON FUNCTION current_org_id() TO agentmon_app;
GRANT EXECUTE ON FUNCTION ensure_event_partition(timestamptz) TO agentmon_app;

-- Months around now exist from the start; others are made on demand.
SELECT ensure_event_partition(now() + (m || ' months')::interval)
  FROM generate_series(-2, 2) AS m;

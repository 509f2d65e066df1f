-- Administration: producer API keys, roles and access set in agentmon,
-- teams, and an audit log that says who did what to which target.

-- Producer keys. The secret is never stored: only its keyed hash (HMAC
-- with a server key), looked up by one indexed equality. A key belongs to
-- one org, or (org_id NULL, made by a SUPER_ADMIN) to every org.
CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid REFERENCES orgs (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  prefix text NOT NULL,
  hash bytea NOT NULL UNIQUE,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_org ON api_keys (org_id, created_at);
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
-- An org's keys are the org's rows; keys for every org are nobody's.
CREATE POLICY tenant_isolation ON api_keys USING (org_id = current_org_id())
  WITH CHECK (org_id = current_org_id());
GRANT SELECT, INSERT, UPDATE (revoked_at) ON api_keys TO agentmon_app;

-- The producer behind a presented secret: one indexed lookup of its hash,
-- for any org's key, returning what ingest needs and nothing else.
CREATE FUNCTION api_key_by_hash(secret_hash bytea)
  RETURNS TABLE (id uuid, org_slug text, prefix text, revoked boolean)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT k.id, o.slug, k.prefix, k.revoked_at IS NOT NULL
          FROM api_keys k LEFT JOIN orgs o ON o.id = k.org_id
         WHERE k.hash = secret_hash $$;
-- Last use, written for many keys at once (coalesced by each server).
-- Times later than now are taken as now: a caller cannot pin a key's
-- last use in the future.
CREATE FUNCTION api_keys_used(ids uuid[], ats timestamptz[]) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ UPDATE api_keys k SET last_used_at = greatest(coalesce(k.last_used_at, u.at), u.at)
          FROM (SELECT id, least(at, now()) AS at FROM unnest(ids, ats) AS x(id, at)) u
         WHERE k.id = u.id $$;
REVOKE ALL ON FUNCTION api_key_by_hash(bytea), api_keys_used(uuid[], timestamptz[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api_key_by_hash(bytea), api_keys_used(uuid[], timestamptz[]) TO agentmon_app;

-- Roles and access set in agentmon: they override the token's role claim.
CREATE TABLE org_members (
  org_id uuid NOT NULL REFERENCES orgs (id),
  user_id text NOT NULL,
  -- set in agentmon; wins over the token's claim
  role text CHECK (role IN ('MEMBER', 'MANAGER', 'ORG_ADMIN')),
  -- what the user's last token claimed
  token_role text,
  disabled boolean NOT NULL DEFAULT false,
  set_by text,
  set_at timestamptz,
  last_seen_at timestamptz,
  PRIMARY KEY (org_id, user_id)
);
ALTER TABLE org_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON org_members USING (org_id = current_org_id())
  WITH CHECK (org_id = current_org_id());
GRANT SELECT, INSERT, UPDATE (role, token_role, disabled, set_by, set_at, last_seen_at)
  ON org_members TO agentmon_app;

-- Teams: named groups of an org's users.
CREATE TABLE teams (
  org_id uuid NOT NULL REFERENCES orgs (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- bumped when the members change: cached team figures key on it
  members_version integer NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, name)
);
CREATE TABLE team_members (
  org_id uuid NOT NULL,
  team_id uuid NOT NULL,
  user_id text NOT NULL,
  PRIMARY KEY (org_id, team_id, user_id),
  FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id) ON DELETE CASCADE
);
ALTER TABLE teams ENABLE ROW LEVEL SECURITY;
ALTER TABLE team_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON teams USING (org_id = current_org_id())
  WITH CHECK (org_id = current_org_id());
CREATE POLICY tenant_isolation ON team_members USING (org_id = current_org_id())
  WITH CHECK (org_id = current_org_id());
GRANT SELECT, INSERT, DELETE, UPDATE (members_version) ON teams TO agentmon_app;
GRANT SELECT, INSERT, DELETE ON team_members TO agentmon_app;

-- The audit log says which target an action touched; platform actions
-- (no org) use the nil org id. Entries are never changed: the request
-- role may read and add, nothing else.
ALTER TABLE audit_log ADD COLUMN target text;
UPDATE audit_log SET action = CASE action
  WHEN 'org.read' THEN 'SUPPORT_READ'
  WHEN 'org.export' THEN 'SUPPORT_EXPORT'
  WHEN 'org.create' THEN 'ORG_CREATED'
  WHEN 'org.update' THEN 'ORG_UPDATED'
  ELSE action END;
CREATE INDEX audit_log_newest ON audit_log (id DESC);

-- The whole audit log for a SUPER_ADMIN, newest first, one page (called
-- on the admin pool only: it returns every org's rows).
CREATE FUNCTION platform_audit_log(before_id bigint, page integer)
  RETURNS TABLE (id bigint, at timestamptz, actor_sub text, actor_role text, action text,
                 org_slug text, target text, detail jsonb)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT a.id, a.at, a.actor_sub, a.actor_role, a.action, o.slug, a.target, a.detail
          FROM audit_log a LEFT JOIN orgs o ON o.id = a.org_id
         WHERE before_id IS NULL OR a.id < before_id
         ORDER BY a.id DESC LIMIT page $$;
REVOKE ALL ON FUNCTION platform_audit_log(bigint, integer) FROM PUBLIC;

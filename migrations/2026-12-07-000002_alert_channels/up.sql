-- Where alerts go: an org's webhook and Slack channels, each with the
-- secret its deliveries are signed with; and every delivery made to one
-- (a test now, notifications later), with its status, attempts and last
-- error. The URL's path may hold a secret: only the scheme, host and port
-- are ever shown back.
CREATE TABLE alert_channels (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  kind text NOT NULL CHECK (kind IN ('WEBHOOK', 'SLACK')),
  url text NOT NULL CHECK (length(url) <= 2048),
  signing_secret text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_channels_by_org ON alert_channels (org_id, created_at);

CREATE TABLE alert_deliveries (
  id uuid PRIMARY KEY,                      -- X-Agentmon-Delivery, the same on every attempt
  org_id uuid NOT NULL REFERENCES orgs (id),
  channel_id uuid NOT NULL REFERENCES alert_channels (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('TEST', 'NOTIFICATION')),
  body jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
  attempts integer NOT NULL DEFAULT 0,
  response_status integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_deliveries_by_channel ON alert_deliveries (org_id, channel_id, created_at DESC);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['alert_channels', 'alert_deliveries']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (org_id = current_org_id()) '
                   'WITH CHECK (org_id = current_org_id())', t);
  END LOOP;
END
$$;
GRANT SELECT, INSERT, DELETE ON alert_channels TO agentmon_app;
GRANT SELECT, INSERT, UPDATE ON alert_deliveries TO agentmon_app;

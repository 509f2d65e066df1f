CREATE INDEX IF NOT EXISTS events_received ON events (org_id, session_id, received_at);

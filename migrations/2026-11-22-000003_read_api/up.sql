-- When the projector last rewrote a session: paginated walks that started
-- earlier see such a session at the place it had when they started.
ALTER TABLE sessions ADD COLUMN projected_at timestamptz NOT NULL DEFAULT clock_timestamp();
CREATE INDEX sessions_recently_projected ON sessions (org_id, projected_at);
CREATE INDEX events_received ON events (org_id, session_id, received_at);

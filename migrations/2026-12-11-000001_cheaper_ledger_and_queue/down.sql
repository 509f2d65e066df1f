ALTER TABLE projection_queue ALTER COLUMN seq SET CACHE 1;
CREATE INDEX IF NOT EXISTS event_keys_by_time ON event_keys (org_id, occurred_at);
DROP INDEX IF EXISTS event_keys_by_time_ranges;

DROP INDEX IF EXISTS events_received;
DROP INDEX IF EXISTS sessions_recently_projected;
ALTER TABLE sessions DROP COLUMN IF EXISTS projected_at;

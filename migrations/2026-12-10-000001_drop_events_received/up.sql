-- One index fewer to write for every ingested event. Its one reader, the
-- sessions walk's look at sessions still being projected (their newest
-- event received by the walk's start), reads a session's events through
-- events_session (org_id, session_id, occurred_at) newest first instead.
DROP INDEX IF EXISTS events_received;

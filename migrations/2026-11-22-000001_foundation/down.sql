DROP TABLE IF EXISTS audit_log, dead_letters, projection_queue, events, session_owners, event_keys, users, orgs CASCADE;
DROP FUNCTION IF EXISTS ensure_event_partition(timestamptz);
DROP FUNCTION IF EXISTS current_org_id();

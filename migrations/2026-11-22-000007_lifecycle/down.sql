DROP FUNCTION platform_queue_health();
DROP INDEX sessions_by_start;
DROP INDEX event_keys_by_time;
DROP INDEX session_owners_by_user;
DROP TABLE erasures;
DROP TABLE jobs;

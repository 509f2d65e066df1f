DROP FUNCTION platform_audit_log(bigint, integer);
DROP INDEX audit_log_newest;
ALTER TABLE audit_log DROP COLUMN target;
DROP TABLE team_members;
DROP TABLE teams;
DROP TABLE org_members;
DROP FUNCTION api_keys_used(uuid[], timestamptz[]);
DROP FUNCTION api_key_by_hash(bytea);
DROP TABLE api_keys;

DROP TABLE breakdown_contributions;
DROP TABLE org_daily_breakdowns;
ALTER TABLE orgs DROP COLUMN breakdown_keys;

ALTER TABLE org_daily_breakdowns
  DROP COLUMN lines_added,
  DROP COLUMN lines_removed,
  DROP COLUMN commits,
  DROP COLUMN pull_requests;

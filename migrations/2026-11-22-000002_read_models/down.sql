DROP TABLE IF EXISTS rollup_contributions, user_daily_durations, org_daily_durations, user_daily, org_daily, handoffs, runs, sessions;
ALTER TABLE users DROP COLUMN IF EXISTS email_at, DROP COLUMN IF EXISTS email_event,
  DROP COLUMN IF EXISTS name_at, DROP COLUMN IF EXISTS name_event;

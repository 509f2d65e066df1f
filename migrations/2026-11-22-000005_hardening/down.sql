DROP FUNCTION platform_active_users(date, date);
DROP FUNCTION platform_org_daily_durations(date, date);
DROP FUNCTION platform_org_daily(date, date);
DROP TABLE run_owners;

DROP TABLE IF EXISTS user_weekly, org_weekly_durations;

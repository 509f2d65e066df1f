DROP TABLE IF EXISTS user_weekly;

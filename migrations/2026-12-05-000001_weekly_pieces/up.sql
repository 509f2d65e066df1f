-- Each user's runs, cost and events per week (Monday to Sunday in the org's
-- time zone): a range's per-user figures read whole weeks from here and
-- only the days at its ends from user_daily, so ranking users and counting
-- them over 90 days reads a seventh of the rows. Kept by the rollups
-- projector beside user_daily, from the same differences.
CREATE TABLE user_weekly (
  org_id uuid NOT NULL,
  week date NOT NULL CHECK (extract(isodow FROM week) = 1),
  user_id text NOT NULL,
  event_count bigint NOT NULL DEFAULT 0,
  runs bigint NOT NULL DEFAULT 0,
  cost_usd numeric NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, week, user_id)
);
INSERT INTO user_weekly (org_id, week, user_id, event_count, runs, cost_usd)
SELECT org_id, date_trunc('week', day)::date, user_id, sum(event_count), sum(runs), sum(cost_usd)
  FROM user_daily GROUP BY 1, 2, 3;

ALTER TABLE user_weekly ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON user_weekly USING (org_id = current_org_id())
  WITH CHECK (org_id = current_org_id());
GRANT SELECT ON user_weekly TO agentmon_app;

-- The org's duration-sketch buckets per week, for the same reason: a
-- range's percentiles read whole weeks here and the days at its ends from
-- org_daily_durations.
CREATE TABLE org_weekly_durations (
  org_id uuid NOT NULL,
  week date NOT NULL CHECK (extract(isodow FROM week) = 1),
  bucket integer NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (org_id, week, bucket)
);
INSERT INTO org_weekly_durations (org_id, week, bucket, count)
SELECT org_id, date_trunc('week', day)::date, bucket, sum(count)
  FROM org_daily_durations GROUP BY 1, 2, 3;

ALTER TABLE org_weekly_durations ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON org_weekly_durations USING (org_id = current_org_id())
  WITH CHECK (org_id = current_org_id());
GRANT SELECT ON org_weekly_durations TO agentmon_app;

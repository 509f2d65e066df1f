ALTER TABLE alert_notifications DROP CONSTRAINT alert_notifications_once;
DELETE FROM alert_notifications n USING alert_notifications m
  WHERE n.rule_id = m.rule_id AND n.window_start = m.window_start AND n.state = m.state
    AND n.revision < m.revision;
ALTER TABLE alert_notifications ADD UNIQUE (rule_id, window_start, state);
ALTER TABLE alert_notifications DROP COLUMN revision;
ALTER TABLE alert_states DROP COLUMN revision, DROP COLUMN threshold;
ALTER TABLE alert_rules DROP COLUMN revision;

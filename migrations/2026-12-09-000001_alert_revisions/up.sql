-- A rule's revision: it goes up when what the rule watches changes
-- (metric, window, scope, comparison, threshold, warnAt) or the rule is
-- enabled again. Changes are notified once per (rule, revision, window,
-- state): an edited rule starts again from OK, and one that was FIRING is
-- resolved once, with the value and threshold it fired on (kept in its
-- state).
ALTER TABLE alert_rules ADD COLUMN revision integer NOT NULL DEFAULT 0;
ALTER TABLE alert_states
  ADD COLUMN revision integer NOT NULL DEFAULT 0,
  ADD COLUMN threshold double precision;
ALTER TABLE alert_notifications ADD COLUMN revision integer NOT NULL DEFAULT 0;
ALTER TABLE alert_notifications DROP CONSTRAINT alert_notifications_rule_id_window_start_state_key;
ALTER TABLE alert_notifications
  ADD CONSTRAINT alert_notifications_once UNIQUE (rule_id, revision, window_start, state);

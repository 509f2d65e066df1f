ALTER TABLE alert_deliveries DROP COLUMN notification_id, DROP COLUMN next_attempt_at;
DROP TABLE alert_notifications;
DROP TABLE alert_states;
DROP TABLE alert_rules;

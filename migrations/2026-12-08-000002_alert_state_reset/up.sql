-- Updating a rule starts its state again: the request role deletes it.
GRANT DELETE ON alert_states TO agentmon_app;

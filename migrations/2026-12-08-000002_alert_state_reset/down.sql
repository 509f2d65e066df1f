REVOKE DELETE ON alert_states FROM agentmon_app;

DROP TABLE tool_contributions, org_daily_tool_durations, org_daily_tools;
ALTER TABLE runs DROP COLUMN model_calls, DROP COLUMN failed_model_calls,
  DROP COLUMN cache_read_tokens, DROP COLUMN cache_creation_tokens, DROP COLUMN tool_calls,
  DROP COLUMN cost_source;
ALTER TABLE sessions DROP COLUMN agent, DROP COLUMN model_calls, DROP COLUMN failed_model_calls,
  DROP COLUMN cache_read_tokens, DROP COLUMN cache_creation_tokens, DROP COLUMN estimated_cost_usd,
  DROP COLUMN tool_calls, DROP COLUMN failed_tool_calls, DROP COLUMN rejected_tool_calls,
  DROP COLUMN lines_added, DROP COLUMN lines_removed, DROP COLUMN commits, DROP COLUMN pull_requests;
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['org_daily', 'user_daily']
  LOOP
    EXECUTE format('ALTER TABLE %I DROP COLUMN model_calls, DROP COLUMN failed_model_calls,
      DROP COLUMN cache_read_tokens, DROP COLUMN cache_creation_tokens, DROP COLUMN estimated_cost_usd,
      DROP COLUMN unpriced_model_calls, DROP COLUMN tool_calls, DROP COLUMN failed_tool_calls,
      DROP COLUMN rejected_tool_calls, DROP COLUMN lines_added, DROP COLUMN lines_removed,
      DROP COLUMN commits, DROP COLUMN pull_requests', t);
  END LOOP;
END
$$;

ALTER TABLE org_daily_breakdowns
  DROP COLUMN model_calls,
  DROP COLUMN cache_read_tokens,
  DROP COLUMN cache_creation_tokens,
  DROP COLUMN estimated_cost_usd;

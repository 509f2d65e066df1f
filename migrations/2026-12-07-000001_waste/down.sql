DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['org_daily', 'user_daily']
  LOOP
    EXECUTE format('ALTER TABLE %I
      DROP COLUMN failed_run_cost_usd,
      DROP COLUMN failed_call_cost_usd,
      DROP COLUMN no_code_cost_usd', t);
  END LOOP;
END
$$;

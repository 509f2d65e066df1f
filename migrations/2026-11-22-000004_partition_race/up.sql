-- Two sessions may both find a month's partition missing and race to make
-- it; the loser now treats "already exists" as done.
CREATE OR REPLACE FUNCTION ensure_event_partition(at timestamptz) RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
DECLARE
  month_start timestamptz := date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  month_end timestamptz := month_start + interval '1 month';
  part text := 'events_' || to_char(month_start AT TIME ZONE 'UTC', 'YYYY"m"MM');
BEGIN
  IF to_regclass(part) IS NOT NULL THEN
    RETURN part;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('agentmon.events.' || part));
  BEGIN
    EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                   part, month_start, month_end);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', part);
  EXCEPTION WHEN duplicate_table THEN
    NULL;
  END;
  RETURN part;
END
$$;

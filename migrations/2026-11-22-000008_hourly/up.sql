-- Runs by the time they finished: hourly points of short ranges.
CREATE INDEX runs_by_finish ON runs (org_id, finished_at);

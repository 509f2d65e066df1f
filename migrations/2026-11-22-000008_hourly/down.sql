DROP INDEX runs_by_finish;

DROP TABLE open_runs;
DROP TABLE run_folds;
DROP TABLE session_folds;

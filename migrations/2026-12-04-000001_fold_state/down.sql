DROP TABLE run_folds;
DROP TABLE session_folds;

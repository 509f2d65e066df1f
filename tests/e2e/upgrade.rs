//! Upgrades: a binary older than its database (one migrated by a newer
//! agentmon) refuses to start, saying what to do, and changes nothing.

use std::process::Command;

use crate::harness::TestApp;

#[tokio::test]
async fn a_binary_older_than_the_database_refuses_to_start() {
    let app = TestApp::new().await;
    app.count(
        "WITH newer AS (INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000000') RETURNING 1) \
         SELECT count(*) AS n FROM newer",
    )
    .await;
    for args in [
        vec!["migrate"],
        vec!["serve", "--no-worker", "--listen", "127.0.0.1:0"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_agentmon"))
            .args(&args)
            .env("DATABASE_URL", app.url())
            .env("AGENTMON_JWT_SECRET", crate::harness::SECRET)
            .env_remove("DATABASE_APP_URL")
            .env_remove("REDIS_URL")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} started: {said}");
        assert!(
            said.contains("migrated by a newer agentmon (migration 29991231000000"),
            "{args:?}: {said}"
        );
    }
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM __diesel_schema_migrations WHERE version = '29991231000000'"
        )
        .await,
        1,
        "left as it was"
    );
}

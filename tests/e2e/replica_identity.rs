//! A read replica is used only if it is a standby of the primary's own
//! cluster serving the primary's database: a standby of another cluster
//! (another environment's, with the same tables and a login that works)
//! or another database of the right standby holds other rows, however
//! fresh it is.

use std::time::{Duration, Instant};

use crate::harness::process::{agentmon, succeeded};
use crate::harness::replication::Replicated;
use crate::read_replicas::{connect, serve};

#[tokio::test]
async fn a_standby_of_another_cluster_or_database_is_never_read_from() {
    let (cluster, other) = tokio::join!(Replicated::start(), Replicated::start());
    // The other cluster is an agentmon database of its own, with a login
    // that row-level security binds, as another environment would be.
    succeeded(agentmon(&["migrate"]).env("DATABASE_URL", &other.primary));
    connect(&other.primary)
        .await
        .batch_execute("CREATE ROLE reader LOGIN PASSWORD 'reader-pw' IN ROLE agentmon_app")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let elsewhere = format!(
        "postgres://reader:reader-pw@127.0.0.1:{}/agentmon",
        other.standby.port
    );
    let end = Instant::now() + Duration::from_secs(30);
    while tokio_postgres::connect(&elsewhere, tokio_postgres::NoTls)
        .await
        .is_err()
    {
        assert!(Instant::now() < end, "the other standby has the login");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let other_database = format!("postgres://127.0.0.1:{}/postgres", cluster.standby.port);

    let replicas = format!("{},{elsewhere},{other_database}", cluster.replica);
    let (_server, api) = serve(
        &cluster.primary,
        &replicas,
        "1h",
        &cluster.dir("data"),
        false,
    );
    api.until_in_use(
        &cluster.replica_name,
        "1",
        "the primary's own standby is used",
    )
    .await;
    let names = [
        format!("replica=\"127.0.0.1:{}/agentmon\"", other.standby.port),
        format!("replica=\"127.0.0.1:{}/postgres\"", cluster.standby.port),
    ];
    // Measured every second: several rounds, and neither is ever used.
    let end = Instant::now() + Duration::from_secs(4);
    while Instant::now() < end {
        for name in &names {
            assert_eq!(
                api.metric("agentmon_db_replica_in_use", name).await,
                "0",
                "{name} is not the primary's: never read from"
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

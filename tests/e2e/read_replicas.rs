//! Read replicas: a PostgreSQL primary made for this test, a real streaming
//! standby of it (`pg_basebackup -R`, its own postmaster), and two
//! `agentmon serve` processes reading from it — one that allows a replica
//! 2 s behind, one that allows an hour. Queries read from the standby
//! (its connections are there, and a paused standby answers the older
//! figure), row-level security binds them there too, a standby further
//! behind than allowed or stopped is skipped for the primary with no
//! failed request, and it is used again once it is back; `/metrics` and
//! `readLagSeconds` say all of it.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use agentmon_core::storage::db::embedded::free_port;
use agentmon_core::storage::db::DbUrls;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::harness::process::{agentmon, listening, post, succeeded, Server};
use crate::harness::replication::Replicated;
use crate::harness::{event, METRICS_TOKEN, SECRET};

pub(crate) async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    tokio::spawn(connection);
    client
}

/// `url` (a postgres:// URL) on `port`.
fn on_port(url: &str, port: u16) -> String {
    let mut url = url::Url::parse(url).unwrap_or_else(|e| panic!("{e}"));
    let _ = url.set_port(Some(port));
    url.to_string()
}

const FIGURES: &str = "{ readLagSeconds org(slug: \"acme\") { overview(range: {from: \"2026-11-01\", to: \"2026-11-30\"}) { kpis { runs costUsd } } } }";

/// A finished run of `cost` dollars on a November day.
fn run(i: usize, cost: Decimal) -> Value {
    event("acme", "RUN_FINISHED")
        .user(&format!("u{}", i % 3))
        .session(&format!("s-{i}"))
        .run(&format!("r-{i}"))
        .at(format!("2026-11-{:02}T10:00:00Z", 1 + i % 28)
            .parse()
            .unwrap_or_else(|e| panic!("{e}")))
        .set(
            "run",
            json!({ "status": "SUCCEEDED", "costUsd": cost.to_string() }),
        )
        .build()
}

pub(crate) struct Api {
    url: String,
    token: String,
}

impl Api {
    /// Runs and cost of acme's November, and the read lag the answer reports.
    async fn figures(&self) -> (i64, Decimal, f64) {
        let body = post(&self.url, &self.token, FIGURES, json!({})).await;
        assert!(body["errors"].is_null(), "{}: {body}", self.url);
        let kpis = &body["data"]["org"]["overview"]["kpis"];
        (
            kpis["runs"].as_i64().unwrap_or(-1),
            kpis["costUsd"]
                .as_str()
                .unwrap_or_default()
                .parse()
                .unwrap_or_else(|e| panic!("{kpis}: {e}")),
            body["data"]["readLagSeconds"].as_f64().unwrap_or(-1.0),
        )
    }

    /// Waits until the figures are `runs` and `cost`, asking every 100 ms.
    async fn until_figures(&self, runs: i64, cost: Decimal, what: &str) -> f64 {
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            let (r, c, lag) = self.figures().await;
            if (r, c) == (runs, cost) {
                return lag;
            }
            assert!(
                Instant::now() < end,
                "{what}: {r} runs, ${c}; expected {runs}, ${cost}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The value of the `/metrics` line that starts with `name` and holds `label`.
    pub(crate) async fn metric(&self, name: &str, label: &str) -> String {
        let text = reqwest::Client::new()
            .get(format!("{}/metrics", self.url))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .text()
            .await
            .unwrap_or_default();
        text.lines()
            .find(|l| l.starts_with(name) && l.contains(label))
            .and_then(|l| l.rsplit(' ').next())
            .unwrap_or_else(|| panic!("no {name} with {label} in\n{text}"))
            .to_string()
    }

    /// Waits until the replica's `agentmon_db_replica_in_use` is `value`.
    pub(crate) async fn until_in_use(&self, replica: &str, value: &str, what: &str) {
        let end = Instant::now() + Duration::from_secs(30);
        while self.metric("agentmon_db_replica_in_use", replica).await != value {
            assert!(Instant::now() < end, "{what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

pub(crate) fn serve(
    primary: &str,
    replica: &str,
    max_lag: &str,
    data: &Path,
    worker: bool,
) -> (Server, Api) {
    let port = free_port().unwrap_or_else(|e| panic!("{e}"));
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec!["serve", "--listen", listen.as_str()];
    if !worker {
        args.push("--no-worker");
    }
    let server = Server(
        agentmon(&args)
            .env("DATABASE_URL", primary)
            .env("DATABASE_REPLICA_URL", replica)
            .env("DATABASE_REPLICA_MAX_LAG", max_lag)
            .env("AGENTMON_JWT_SECRET", SECRET)
            .env("AGENTMON_DATA_DIR", data)
            // Replicas are named on /metrics only behind its token.
            .env("AGENTMON_METRICS_TOKEN", METRICS_TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    listening(port);
    let token =
        succeeded(agentmon(&["token", "--role", "SUPER_ADMIN"]).env("AGENTMON_JWT_SECRET", SECRET));
    let token = token.lines().last().unwrap_or_default().trim().to_string();
    (
        server,
        Api {
            url: format!("http://{listen}"),
            token,
        },
    )
}

#[tokio::test]
async fn queries_read_from_a_streaming_replica_and_fall_back_to_the_primary() {
    let cluster = Replicated::start().await;
    let (primary, replica, name) = (&cluster.primary, &cluster.replica, &cluster.replica_name);
    let standby = &cluster.standby;

    // A reads from a replica at most 2 s behind, and projects; B allows an
    // hour (it shows what the replica holds, however old).
    let data = cluster.dir("data");
    let (_a, a) = serve(primary, replica, "2s", &data, true);
    let (_b, b) = serve(primary, replica, "1h", &data, false);
    a.until_in_use(name, "1", "A reads from the replica once it measured it")
        .await;
    b.until_in_use(name, "1", "B reads from the replica once it measured it")
        .await;

    let created = post(
        &a.url,
        &a.token,
        "mutation { acme: createOrg(slug: \"acme\", name: \"Acme\", timezone: \"UTC\") { id } \
                    other: createOrg(slug: \"other\", name: \"Other\", timezone: \"UTC\") { id } }",
        json!({}),
    )
    .await;
    assert!(created["errors"].is_null(), "{created}");
    let acme = created["data"]["acme"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let other = created["data"]["other"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let ingest_token = succeeded(
        agentmon(&["token", "--ingest", "--orgs", "*"]).env("AGENTMON_JWT_SECRET", SECRET),
    );
    let ingest_token = ingest_token
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string();
    let ingest = |events: Vec<Value>| {
        let (url, token) = (a.url.clone(), ingest_token.clone());
        async move {
            let n = events.len();
            let body = post(
                &url,
                &token,
                "mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted } }",
                json!({ "e": events }),
            )
            .await;
            assert_eq!(body["data"]["ingestEvents"]["accepted"], n, "{body}");
        }
    };

    // The figures, computed from the events sent.
    let costs: Vec<Decimal> = (0..40).map(|i| Decimal::new(125 + 37 * i, 2)).collect();
    let first: Decimal = costs[..30].iter().sum();
    let all: Decimal = costs.iter().sum();
    ingest((0..30).map(|i| run(i, costs[i])).collect()).await;
    // Three events of another org, which the standby holds too.
    let others: Vec<Value> = (0..3)
        .map(|i| {
            event("other", "SESSION_STARTED")
                .session(&format!("o-{i}"))
                .build()
        })
        .collect();
    ingest(others).await;
    a.until_figures(30, first, "A, once projected and replayed")
        .await;
    b.until_figures(30, first, "B, once replayed").await;
    // Measured each second: caught up within a round or two.
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, _, lag) = b.figures().await;
        if (0.0..2.0).contains(&lag) {
            break;
        }
        assert!(Instant::now() < end, "B's replica never caught up: {lag} s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The reads were the standby's: its request-login connections are there.
    let standby_owner = connect(&cluster.standby_owner()).await;
    let on_replica: i64 = standby_owner
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'agentmon-api-replica'",
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .get(0);
    assert!(
        on_replica >= 2,
        "both servers hold connections on the standby: {on_replica}"
    );

    // Row-level security binds the request login on the standby as on the
    // primary: nothing without an org, only the org's own rows with one.
    let app = DbUrls::derive(primary)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"))
        .app;
    let mut reader = connect(&on_port(&app, standby.port)).await;
    let unbound: i64 = reader
        .query_one("SELECT count(*) FROM events", &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .get(0);
    assert_eq!(unbound, 0, "no org bound: no rows");
    for (org, expected) in [(&acme, 30_i64), (&other, 3)] {
        let tx = reader.transaction().await.unwrap_or_else(|e| panic!("{e}"));
        tx.execute("SELECT set_config('app.org_id', $1, true)", &[org])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let rows: i64 = tx
            .query_one("SELECT count(*) FROM events", &[])
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .get(0);
        assert_eq!(rows, expected, "the events of org {org} on the standby");
        tx.rollback().await.unwrap_or_else(|e| panic!("{e}"));
    }

    // The standby stops replaying: A skips it after 2 s and reads the new
    // events on the primary; B, which allows an hour, still answers what
    // the standby holds.
    standby_owner
        .execute("SELECT pg_wal_replay_pause()", &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    ingest((30..40).map(|i| run(i, costs[i])).collect()).await;
    a.until_figures(40, all, "A reads the primary").await;
    a.until_in_use(name, "0", "A skips the paused replica")
        .await;
    let (runs, cost, lag) = a.figures().await;
    assert_eq!((runs, cost), (40, all));
    assert_eq!(lag, 0.0, "A's answer came from the primary, and says so");
    let behind: f64 = a
        .metric("agentmon_db_replica_lag_seconds", name)
        .await
        .parse()
        .unwrap_or(0.0);
    assert!(behind >= 2.0, "A says how far behind it is: {behind} s");
    let (runs, cost, lag) = b.figures().await;
    assert_eq!(
        (runs, cost),
        (30, first),
        "B answers from the paused replica"
    );
    assert!(lag > 0.0, "and says it is behind: {lag} s");
    // A client that asks to read its own writes reads the primary on B.
    let own: Value = reqwest::Client::new()
        .post(format!("{}/graphql", b.url))
        .bearer_auth(&b.token)
        .header("X-Agentmon-Read", "primary")
        .json(&json!({ "query": FIGURES }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(own["data"]["org"]["overview"]["kpis"]["runs"], 40, "{own}");
    assert_eq!(own["data"]["readLagSeconds"], 0.0, "{own}");

    // Replaying again: A uses the replica again, and B catches up.
    standby_owner
        .execute("SELECT pg_wal_replay_resume()", &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    b.until_figures(40, all, "B once the standby replays again")
        .await;
    a.until_in_use(name, "1", "A uses the replica again").await;

    // The standby stops: every query still answers, from the primary.
    drop(standby_owner);
    drop(reader);
    standby.stop();
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        for api in [&a, &b] {
            let (runs, cost, _) = api.figures().await;
            assert_eq!((runs, cost), (40, all), "{} with the standby down", api.url);
        }
    }
    a.until_in_use(name, "0", "A skips the stopped replica")
        .await;
    assert_eq!(
        a.metric("agentmon_db_replica_lag_seconds", name).await,
        "NaN"
    );

    // Started again, it is used again by itself.
    standby.start();
    a.until_in_use(name, "1", "A uses the restarted replica")
        .await;
    b.until_in_use(name, "1", "B uses the restarted replica")
        .await;
    assert_eq!(b.figures().await.0, 40);
}

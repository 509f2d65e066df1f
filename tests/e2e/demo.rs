//! Demo traffic: `agentmon generate` sends it through createOrg and
//! ingestEvents (or prints it with --dry-run), and `serve --demo` fills demo
//! orgs on first start, projected by its own worker.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use agentmon_core::event::EventInput;

use crate::harness::{TestApp, SECRET};

fn agentmon(app: &TestApp) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agentmon"));
    cmd.env("DATABASE_URL", app.url())
        .env("AGENTMON_JWT_SECRET", SECRET)
        .env_remove("REDIS_URL");
    cmd
}

#[tokio::test]
async fn generate_dry_run_prints_valid_events_as_json_lines() {
    let app = TestApp::new().await;
    let output = agentmon(&app)
        .args([
            "generate",
            "--orgs",
            "2",
            "--users",
            "3",
            "--days",
            "2",
            "--dry-run",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<EventInput> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.len() > 10, "{} events", lines.len());
    let orgs: std::collections::BTreeSet<&str> = lines.iter().map(|e| e.org.as_str()).collect();
    assert_eq!(orgs.into_iter().collect::<Vec<_>>(), ["demo-1", "demo-2"]);
}

#[tokio::test]
async fn generate_sends_demo_traffic_through_the_api() {
    let app = TestApp::new().await;
    let addr = app.listen().await;
    let url = format!("http://{addr}");
    let output = tokio::task::spawn_blocking({
        let mut cmd = agentmon(&app);
        cmd.args([
            "generate", "--orgs", "2", "--users", "4", "--days", "3", "--prefix", "gen", "--url",
            &url,
        ]);
        move || cmd.output()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(" 0 rejected"), "{stdout}");
    let stored = app.count("SELECT count(*) AS n FROM events e JOIN orgs o ON o.id = e.org_id WHERE o.slug LIKE 'gen-%'").await;
    assert!(stored > 0);
    assert!(
        stdout.starts_with(&format!("{stored} accepted")),
        "{stdout}"
    );
}

#[tokio::test]
async fn serve_demo_creates_fills_and_projects_demo_orgs() {
    let app = TestApp::new().await;
    let port = agentmon_core::storage::db::embedded::free_port().unwrap_or_else(|e| panic!("{e}"));
    let mut server = agentmon(&app)
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let queued = app
            .count("SELECT count(*) AS n FROM projection_queue")
            .await;
        let sessions = app.count("SELECT count(*) AS n FROM sessions").await;
        let events = app.count("SELECT count(*) AS n FROM events").await;
        if events > 1_000 && sessions > 0 && queued == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "demo data not projected: {events} events, {queued} queued"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM orgs WHERE slug LIKE 'demo-%'")
            .await,
        3
    );
    let _ = server.kill();
    let output = server.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        printed.contains("/#token="),
        "serve --demo prints a sign-in link: {printed}"
    );
    // A SUPER_ADMIN token printed where logs keep it lives a working day,
    // not a week.
    let token = printed
        .split("/#token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default();
    let claims: serde_json::Value = token
        .split('.')
        .nth(1)
        .and_then(|part| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_else(|| panic!("the link's token is a JWT: {token}"));
    let lifetime = claims["exp"].as_i64().unwrap_or(i64::MAX) - chrono::Utc::now().timestamp();
    assert!(
        lifetime <= 8 * 3600,
        "the demo link's token lives {lifetime} s: {claims}"
    );
}

//! `replay` forgets what projectors derived and projects it again: the
//! result equals the first projection.

use agentmon_projectors::replay::{replay, select};

use super::stream::{stream, Ev, ORGS};
use crate::harness::read_models::{assert_same, snapshot};
use crate::harness::TestApp;

#[tokio::test]
async fn replay_gives_the_same_read_models_as_the_first_projection() {
    let app = TestApp::new().await;
    for (slug, tz) in ORGS {
        app.create_org(slug, tz).await;
    }
    let events: Vec<Ev> = (200..206).flat_map(stream).collect();
    let json: Vec<_> = events.iter().map(Ev::json).collect();
    for chunk in json.chunks(37) {
        app.ingest(chunk).await;
        app.worker(13)
            .round()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    app.project_all().await;
    let first = snapshot(&app).await;
    assert!(!first["sessions"].is_empty());

    let everything = agentmon_projectors::registry();
    let report = replay(&app.db, &everything, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.orgs, 2);
    assert_eq!(report.events, events.len());
    assert_same(&first, &snapshot(&app).await, "after replaying every org");

    let org = org_id(&app, "p-ind").await;
    let rollups =
        select(agentmon_projectors::registry(), Some("rollups")).unwrap_or_else(|e| panic!("{e}"));
    replay(&app.db, &rollups, Some(org))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_same(
        &first,
        &snapshot(&app).await,
        "after replaying one projector of one org",
    );

    let unknown = select(agentmon_projectors::registry(), Some("nope"));
    assert!(unknown.is_err_and(|e| e.to_string().contains("rollups")));
}

async fn org_id(app: &TestApp, slug: &str) -> uuid::Uuid {
    let mut conn = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    agentmon_core::storage::models::org::by_slug(&mut conn, slug)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no org {slug}"))
        .id
}

#[tokio::test]
async fn the_replay_command_is_written_to_the_audit_log() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.ingest(&[crate::harness::event("acme", "SESSION_STARTED").build()])
        .await;
    let output = tokio::task::spawn_blocking({
        let url = app.url().to_string();
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_agentmon"))
                .env("DATABASE_URL", url)
                .env("USER", "operator-ann")
                .env_remove("REDIS_URL")
                .args(["replay", "--org", "acme"])
                .output()
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM audit_log a JOIN orgs o ON o.id = a.org_id \
             WHERE o.slug = 'acme' AND a.action = 'REPLAY' AND a.actor_sub = 'cli:operator-ann'"
        )
        .await,
        1
    );
}

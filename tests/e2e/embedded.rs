//! Embedded defaults end to end: on a clean data directory `agentmon serve`
//! starts its own PostgreSQL, answers `/readyz`, stops it on SIGTERM, and a
//! restart keeps the data.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};

fn agentmon(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agentmon"));
    cmd.env("AGENTMON_DATA_DIR", data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("AGENTMON_JWT_SECRET")
        .current_dir(data_dir.parent().unwrap_or(Path::new("/")));
    cmd
}

fn serve(data_dir: &Path, port: u16) -> Child {
    agentmon(data_dir)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(90);
    let url = format!("http://127.0.0.1:{port}/readyz");
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(&url).await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("agentmon serve did not become ready on port {port}");
}

fn stop(mut child: Child) {
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            assert!(
                status.success(),
                "agentmon serve exited with {status} on SIGTERM"
            );
            return;
        }
        assert!(
            Instant::now() < deadline,
            "agentmon serve did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn run(data_dir: &Path, args: &[&str]) -> String {
    let output = agentmon(data_dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "agentmon {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

async fn orgs(port: u16, token: &str) -> Value {
    reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": "{ orgs { slug name } }" }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn serve_runs_its_own_postgres_and_a_restart_keeps_the_data() {
    let data_dir: PathBuf = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("embedded-{}", uuid::Uuid::new_v4().simple()))
        .join(".agentmon");
    std::fs::create_dir_all(data_dir.parent().unwrap_or(Path::new("/")))
        .unwrap_or_else(|e| panic!("{e}"));

    let port = agentmon_core::db::embedded::free_port().unwrap_or_else(|e| panic!("{e}"));
    let server = serve(&data_dir, port);
    wait_ready(port).await;
    assert!(
        data_dir.join("pg/PG_VERSION").exists(),
        "the cluster lives in the data directory"
    );

    // Commands run beside the server reuse its cluster.
    let created = run(&data_dir, &["org", "create", "acme", "--name", "Acme Inc"]);
    assert!(created.contains("acme"), "{created}");
    let token = run(
        &data_dir,
        &["token", "--role", "SUPER_ADMIN", "--ttl", "10m"],
    );
    let mode = std::fs::metadata(data_dir.join("jwt-secret"))
        .unwrap_or_else(|e| panic!("{e}"))
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the generated secret is private");
    assert_eq!(
        orgs(port, &token).await["data"]["orgs"],
        json!([{"slug": "acme", "name": "Acme Inc"}])
    );

    stop(server);
    assert!(
        !data_dir.join("pg/postmaster.pid").exists(),
        "the cluster stops with the server that started it"
    );

    let server = serve(&data_dir, port);
    wait_ready(port).await;
    assert_eq!(
        orgs(port, &token).await["data"]["orgs"],
        json!([{"slug": "acme", "name": "Acme Inc"}]),
        "data and the secret survive a restart"
    );
    stop(server);
    let _ = std::fs::remove_dir_all(data_dir.parent().unwrap_or(Path::new("/nonexistent")));
}

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

/// `agentmon` started in folder `cwd`.
fn agentmon_in(data_dir: &Path, cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agentmon"));
    cmd.env("AGENTMON_DATA_DIR", data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("AGENTMON_JWT_SECRET")
        .env_remove("AGENTMON_WEB_DIR")
        .env_remove("REDIS_URL")
        .current_dir(cwd);
    cmd
}

fn serve(data_dir: &Path, port: u16) -> Child {
    serve_in(data_dir, data_dir.parent().unwrap_or(Path::new("/")), port)
}

fn serve_in(data_dir: &Path, cwd: &Path, port: u16) -> Child {
    agentmon_in(data_dir, cwd)
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
    run_in(data_dir, data_dir.parent().unwrap_or(Path::new("/")), args)
}

fn run_in(data_dir: &Path, cwd: &Path, args: &[&str]) -> String {
    let output = agentmon_in(data_dir, cwd)
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

    let port = agentmon_core::storage::db::embedded::free_port().unwrap_or_else(|e| panic!("{e}"));
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

fn temp_folder(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    dir
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::get(url)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// `url` asked for with these request headers.
async fn get_with(url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// The body of a gzipped response, and that body unzipped.
async fn gunzipped(response: reqwest::Response) -> (Vec<u8>, Vec<u8>) {
    let zipped = response.bytes().await.unwrap_or_default().to_vec();
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&zipped[..]),
        &mut unzipped,
    )
    .unwrap_or_else(|e| panic!("gzip: {e}"));
    (zipped, unzipped)
}

/// Paths under `/vendor/` a page names (its import map, its tags).
fn vendor_urls(html: &str) -> Vec<String> {
    html.split("\"/vendor/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|path| format!("/vendor/{path}"))
        .collect()
}

#[tokio::test]
async fn the_binary_alone_serves_the_dashboard_and_commands_agree_from_any_folder() {
    let data_dir = temp_folder("one-binary").join("data");
    let (server_cwd, other_cwd) = (temp_folder("empty"), temp_folder("elsewhere"));
    let port = agentmon_core::storage::db::embedded::free_port().unwrap_or_else(|e| panic!("{e}"));
    let server = serve_in(&data_dir, &server_cwd, port);
    wait_ready(port).await;
    let base = format!("http://127.0.0.1:{port}");

    // Started from an empty folder, with no web/ beside it.
    assert_eq!(
        std::fs::read_dir(&server_cwd)
            .map(|d| d.count())
            .unwrap_or(99),
        0
    );
    for page in ["/", "/graphiql"] {
        let response = get(&format!("{base}{page}")).await;
        assert_eq!(response.status(), 200, "{page}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap_or_default()
            .to_string();
        assert!(csp.contains("script-src 'self' 'nonce-"), "{page}: {csp}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let html = response.text().await.unwrap_or_default();
        let libraries = vendor_urls(&html);
        assert!(libraries.len() >= 3, "{page} names its libraries: {html}");
        for url in libraries {
            let response = get(&format!("{base}{url}")).await;
            assert_eq!(response.status(), 200, "{url}, named by {page}");
            assert_eq!(
                response.headers()["cache-control"],
                "public, max-age=31536000, immutable",
                "{url} is versioned"
            );
            let kind = response.headers()["content-type"]
                .to_str()
                .unwrap_or_default()
                .to_string();
            assert!(
                kind.contains("javascript") || kind.contains("css"),
                "{url}: {kind}"
            );
        }
    }
    // The libraries are gzipped too: GraphiQL's 3.5 MB script to under a
    // quarter.
    let graphiql = get(&format!("{base}/graphiql"))
        .await
        .text()
        .await
        .unwrap_or_default();
    let script = vendor_urls(&graphiql)
        .into_iter()
        .find(|url| url.ends_with("graphiql.min.js"))
        .unwrap_or_else(|| panic!("GraphiQL's script: {graphiql}"));
    let plain = get(&format!("{base}{script}"))
        .await
        .bytes()
        .await
        .unwrap_or_default();
    let zipped = get_with(&format!("{base}{script}"), &[("accept-encoding", "gzip")]).await;
    assert_eq!(zipped.headers()["content-encoding"], "gzip", "{script}");
    assert_eq!(zipped.headers()["vary"], "accept-encoding", "{script}");
    let gz = format!("{base}{script}.gz");
    assert_eq!(get(&gz).await.status(), 404, "{gz}: not a file of its own");
    let (zipped, unzipped) = gunzipped(zipped).await;
    assert_eq!(unzipped, plain, "{script} gzipped is {script}");
    assert!(
        zipped.len() * 4 < plain.len(),
        "{} of {} bytes",
        zipped.len(),
        plain.len()
    );
    let main = get(&format!("{base}/app/main.js")).await;
    assert_eq!(main.status(), 200);
    // The dashboard's page loads one module, not its sixty sources: the
    // boot module, which sends the page's first questions and then imports
    // the dashboard bundled with its libraries from beside itself (both
    // versioned, kept for a year).
    let index = get(&format!("{base}/"))
        .await
        .text()
        .await
        .unwrap_or_default();
    let scripts: Vec<&str> = index
        .split("<script type=\"module\" src=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert_eq!(scripts.len(), 1, "{index}");
    assert!(
        scripts[0].starts_with("/bundle/") && scripts[0].ends_with("/boot.js"),
        "{index}"
    );
    assert!(!index.contains("modulepreload"), "{index}");
    let boot = get(&format!("{base}{}", scripts[0])).await;
    assert_eq!(boot.status(), 200, "{}", scripts[0]);
    let boot = boot.text().await.unwrap_or_default();
    assert!(
        boot.contains("agentmon.early-answers") && !boot.contains("overview-ready"),
        "the boot module asks early and holds no page"
    );
    assert!(
        boot.contains("./main.js"),
        "the boot module loads the dashboard: {boot}"
    );
    let bundled = scripts[0].replace("/boot.js", "/main.js");
    let bundle = get(&format!("{base}{bundled}")).await;
    assert_eq!(bundle.status(), 200, "{bundled}");
    assert_eq!(
        bundle.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let code = bundle.text().await.unwrap_or_default();
    // The overview's code and preact's are inside; nothing is left to import.
    assert!(
        code.contains("overview-ready"),
        "the overview page is bundled"
    );
    assert!(!code.contains("from\"preact\"") && !code.contains("from \"preact\""));
    // To a browser that accepts gzip, the same module gzipped (a third of
    // its size), under its own ETag; the plain one to any other client.
    let zipped = get_with(
        &format!("{base}{bundled}"),
        &[("accept-encoding", "gzip, deflate, br, zstd")],
    )
    .await;
    assert_eq!(zipped.status(), 200);
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    assert_eq!(zipped.headers()["vary"], "accept-encoding");
    assert!(zipped.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .contains("javascript"));
    let zipped_etag = zipped.headers()["etag"].clone();
    let (zipped, unzipped) = gunzipped(zipped).await;
    assert_eq!(
        unzipped,
        code.as_bytes(),
        "the gzipped bundle is the bundle"
    );
    assert!(
        zipped.len() * 2 < code.len(),
        "{} of {} bytes",
        zipped.len(),
        code.len()
    );
    let refused = get_with(
        &format!("{base}{bundled}"),
        &[("accept-encoding", "gzip;q=0, identity")],
    )
    .await;
    assert!(refused.headers().get("content-encoding").is_none());
    assert_ne!(refused.headers()["etag"], zipped_etag);
    assert_eq!(refused.text().await.unwrap_or_default(), code);
    let again = get_with(
        &format!("{base}{bundled}"),
        &[
            ("accept-encoding", "gzip"),
            ("if-none-match", zipped_etag.to_str().unwrap_or_default()),
        ],
    )
    .await;
    assert_eq!(again.status(), 304, "the browser's gzipped copy is current");
    let gz = format!("{base}{bundled}.gz");
    assert_eq!(get(&gz).await.status(), 404, "{gz}: not a file of its own");
    // A page of an older build names its old version: served, revalidated.
    let old = bundled.replace(
        bundled.split('/').nth(2).unwrap_or_default(),
        "000000000000",
    );
    let old = get(&format!("{base}{old}")).await;
    assert_eq!(old.status(), 200, "an older page's URL");
    assert_eq!(old.headers()["cache-control"], "no-cache");
    assert!(!index.contains("/tests/"), "{index}");
    assert_eq!(get(&format!("{base}/tests/suite.js")).await.status(), 404);
    assert_eq!(
        get(&format!("{base}/vendor/playwright-core/package.json"))
            .await
            .status(),
        404
    );

    // `agentmon token` from another folder, same data directory: accepted.
    let token = run_in(
        &data_dir,
        &other_cwd,
        &["token", "--role", "SUPER_ADMIN", "--ttl", "10m"],
    );
    assert_eq!(
        orgs(port, &token).await["data"]["orgs"],
        json!([]),
        "the server accepts the token"
    );
    assert_eq!(
        std::fs::read_dir(&other_cwd)
            .map(|d| d.count())
            .unwrap_or(99),
        0,
        "nothing written where the command ran"
    );

    // A data directory no server has used: no new secret, a clear message.
    let stray = other_cwd.join("stray");
    let output = agentmon_in(&stray, &other_cwd)
        .args(["token", "--role", "SUPER_ADMIN"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("no JWT secret") && stderr.contains("AGENTMON_DATA_DIR"),
        "{stderr}"
    );
    assert!(
        !stray.join("jwt-secret").exists(),
        "no secret that the server would refuse"
    );

    stop(server);
    for dir in [&server_cwd, &other_cwd, &data_dir] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

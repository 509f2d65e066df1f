//! The `agentmon` binary as a process of its own: a command with the
//! environment cleared of what the test does not mean to pass, its output
//! when it must succeed, and a server stopped (SIGTERM) when dropped.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// `agentmon ARGS` without the database, Redis, data directory or web
/// settings of the environment the tests run in.
pub fn agentmon(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agentmon"));
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("DATABASE_APP_URL")
        .env_remove("REDIS_URL")
        .env_remove("AGENTMON_DATA_DIR")
        .env_remove("AGENTMON_WEB_DIR")
        .env_remove("AGENTMON_DEMO");
    command
}

/// Runs `command`, which must succeed; its standard output.
pub fn succeeded(command: &mut Command) -> String {
    let out = command.output().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// A server process: SIGTERM when dropped (it stops what it started, the
/// embedded cluster included), then waited for.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.0.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.0.wait();
    }
}

/// Waits until something listens on `port` of the loopback.
pub fn listening(port: u16) {
    let ready = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < ready, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A GraphQL request to the server at `url` (http://host:port).
pub async fn post(
    url: &str,
    token: &str,
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    reqwest::Client::new()
        .post(format!("{url}/graphql"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

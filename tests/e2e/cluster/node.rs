//! The cluster's processes, which the test kills and starts again, and
//! what it asks each API server.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde_json::json;

use crate::harness::process::{agentmon, post};
use crate::harness::METRICS_TOKEN;

/// A process of the cluster that can be killed and started again.
pub(super) struct Node {
    args: Vec<String>,
    env: Vec<(String, String)>,
    child: Option<Child>,
}

impl Node {
    pub(super) fn start(args: &[&str], env: &[(&str, &str)]) -> Node {
        let mut node = Node {
            args: args.iter().map(|a| a.to_string()).collect(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            child: None,
        };
        node.spawn();
        node
    }

    pub(super) fn spawn(&mut self) {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut command = agentmon(&args);
        for (k, v) in &self.env {
            command.env(k, v);
        }
        self.child = Some(
            command
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }

    pub(super) fn signal(&self, signal: nix::sys::signal::Signal) {
        if let Some(child) = &self.child {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal);
        }
    }

    /// SIGKILL: no shutdown of its own.
    pub(super) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }
}

pub(super) async fn ready(addr: &str) {
    let end = Instant::now() + Duration::from_secs(60);
    while !reqwest::get(format!("http://{addr}/readyz"))
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(Instant::now() < end, "{addr} never became ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether the server at `addr` reads from the replica `name` now (`/metrics`).
pub(super) async fn replica_in_use(addr: &str, name: &str) -> bool {
    let text = match reqwest::Client::new()
        .get(format!("http://{addr}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
    {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => return false,
    };
    text.lines().any(|l| {
        l.starts_with("agentmon_db_replica_in_use") && l.contains(name) && l.ends_with(" 1")
    })
}

pub(super) const FIGURES: &str = "{ org(slug: \"acme\") { overview(range: {from: \"2026-11-15\", to: \"2026-11-15\"}) { kpis { runs sessions costUsd } } } }";

pub(super) async fn figures(addr: &str, token: &str) -> Result<(i64, i64, Decimal), String> {
    let body = post(&format!("http://{addr}"), token, FIGURES, json!({})).await;
    if !body["errors"].is_null() {
        return Err(body.to_string());
    }
    let k = &body["data"]["org"]["overview"]["kpis"];
    Ok((
        k["runs"].as_i64().unwrap_or(-1),
        k["sessions"].as_i64().unwrap_or(-1),
        k["costUsd"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .unwrap_or_default(),
    ))
}

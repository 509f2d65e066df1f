//! What README.md and docs/ promise and no other test checked: token
//! leeway, scopes and secrets; the query limits and the request timeout;
//! request ids in the JSON logs; the dashboard's ETags and `--web-dir`;
//! rate limits without Redis; teams that follow their members; jobs of one
//! org one after the other; faults of the moment; the length limits of an
//! event; the `agentmon key`, `org update`, `migrate` and
//! `replay --dead-letters` commands; and the audit actions the docs name.

mod audit_docs;
mod commands;
mod dashboard;
mod faults;
mod http;
mod jobs;
mod lengths;
mod redis;
mod teams;
mod tokens;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

pub(super) const ME: &str = "{ me { userId role } }";

pub(super) fn hs256(claims: &Value, secret: &[u8], kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid.map(str::to_string);
    encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap_or_else(|e| panic!("{e}"))
}

/// A SUPER_ADMIN's claims, valid for ten minutes, with `extra` on top.
pub(super) fn claims(extra: Value) -> Value {
    let now = Utc::now().timestamp();
    let mut claims = json!({
        "sub": "u1", "role": "SUPER_ADMIN", "iss": "agentmon", "aud": "agentmon",
        "iat": now, "exp": now + 600,
    });
    if let (Some(base), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    claims
}

pub(super) fn first_message(body: &Value) -> String {
    body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

pub(super) fn temp_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{name}-{}", uuid::Uuid::new_v4().simple()))
}

pub(super) async fn wait_ready(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if reqwest::get(format!("http://{addr}/readyz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("agentmon serve did not become ready on {addr}");
}

/// The rejection of the event at `index` in an ingest answer.
pub(super) fn rejection(body: &Value, index: usize) -> Value {
    body["data"]["ingestEvents"]["rejected"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["index"] == index))
        .cloned()
        .unwrap_or(Value::Null)
}

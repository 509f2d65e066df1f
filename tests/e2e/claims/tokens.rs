//! Token leeway, JWKS keys, scopes and the secret's length, as docs/access.md says.

use std::process::{Command, Output};

use agentmon_core::auth::{Authenticator, JwtSettings, Principal, Role};
use chrono::Utc;
use serde_json::json;

use crate::harness::{error_code, event, TestApp, SECRET};

use super::*;

/// docs/access.md: "Both time checks allow 30 s of clock skew."
#[tokio::test]
async fn expiry_and_not_before_allow_30_seconds_of_clock_skew_and_no_more() {
    let app = TestApp::new().await;
    let now = Utc::now().timestamp();
    let cases = [
        ("expired 20 s ago", json!({"exp": now - 20}), None),
        ("valid from 20 s ahead", json!({"nbf": now + 20}), None),
        (
            "expired 45 s ago",
            json!({"exp": now - 45}),
            Some("expired"),
        ),
        (
            "valid from 45 s ahead",
            json!({"nbf": now + 45}),
            Some("not valid yet"),
        ),
    ];
    for (name, extra, refusal) in cases {
        let token = hs256(&claims(extra), SECRET.as_bytes(), None);
        let body = app.graphql(Some(&token), ME, json!({})).await;
        match refusal {
            None => assert_eq!(body["data"]["me"]["userId"], "u1", "{name}: {body}"),
            Some(why) => {
                assert_eq!(error_code(&body), "UNAUTHENTICATED", "{name}: {body}");
                assert!(first_message(&body).contains(why), "{name}: {body}");
            }
        }
    }
}

/// docs/access.md: "Symmetric keys in the file are never used."
#[tokio::test]
async fn symmetric_keys_in_the_jwks_are_never_used() {
    use base64::Engine;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let other: &[u8] = b"a-symmetric-key-someone-left-in-the-jwks-file";
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(json!({ "keys": [
        { "kty": "oct", "kid": "shared", "alg": "HS256", "k": b64(SECRET.as_bytes()) },
        { "kty": "oct", "kid": "other", "k": b64(other) },
    ]}))
    .unwrap_or_else(|e| panic!("{e}"));
    let app = TestApp::with_jwks(Some(jwks)).await;
    for (kid, secret) in [("shared", SECRET.as_bytes()), ("other", other)] {
        let token = hs256(&claims(json!({})), secret, Some(kid));
        let body = app.graphql(Some(&token), ME, json!({})).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "kid {kid}: {body}");
    }
    // The same claims without a kid verify with the shared secret: only the
    // JWKS's symmetric keys are refused.
    let token = hs256(&claims(json!({})), SECRET.as_bytes(), None);
    let body = app.graphql(Some(&token), ME, json!({})).await;
    assert_eq!(body["data"]["me"]["userId"], "u1", "{body}");
}

/// docs/access.md: "Any other `scope` value is refused, and a `role` claim
/// is ignored."
#[tokio::test]
async fn token_scopes_other_than_ingest_are_refused() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    for scope in ["read", "admin", "INGEST", ""] {
        // A SUPER_ADMIN's claims besides: the scope does not fall back on them.
        let token = hs256(
            &claims(json!({"scope": scope, "orgs": ["*"]})),
            SECRET.as_bytes(),
            None,
        );
        let body = app
            .ingest_as(&token, &[event("acme", "SESSION_STARTED").build()])
            .await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{scope:?}: {body}");
        assert!(first_message(&body).contains("scope"), "{scope:?}: {body}");
        let body = app.graphql(Some(&token), ME, json!({})).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{scope:?}: {body}");
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 0);

    // Scope ingest with a role claim: it ingests and reads nothing.
    let token = hs256(
        &claims(json!({"scope": "ingest", "orgs": ["acme"]})),
        SECRET.as_bytes(),
        None,
    );
    let body = app
        .ingest_as(&token, &[event("acme", "SESSION_STARTED").build()])
        .await;
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 1, "{body}");
    let body = app
        .graphql(Some(&token), "{ orgs { slug } }", json!({}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
}

/// `agentmon token` with `AGENTMON_JWT_SECRET` = `secret` (no database).
async fn mint_with_secret(secret: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agentmon"));
    command
        .args(["token", "--role", "SUPER_ADMIN", "--sub", "ops"])
        .env("AGENTMON_JWT_SECRET", secret)
        .env_remove("DATABASE_URL")
        .env_remove("AGENTMON_JWKS")
        .env_remove("AGENTMON_JWT_ISSUER")
        .env_remove("AGENTMON_JWT_AUDIENCE");
    tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// README and docs/access.md: the secret has "at least 32 bytes (a shorter
/// one is refused)".
#[tokio::test]
async fn a_jwt_secret_shorter_than_32_bytes_is_refused() {
    // 31 bytes: 31 ASCII characters, or 15 two-byte ones and one more.
    for short in ["s".repeat(31), format!("{}x", "é".repeat(15))] {
        let output = mint_with_secret(&short).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{short:?} was accepted");
        assert!(
            stderr.contains("31 bytes") && stderr.contains("at least 32"),
            "{stderr}"
        );
        assert!(output.stdout.is_empty(), "no token is printed");
    }
    // 32 bytes are enough, counted in bytes: 16 two-byte characters too.
    for secret in ["s".repeat(32), "é".repeat(16)] {
        let output = mint_with_secret(&secret).await;
        assert!(
            output.status.success(),
            "{secret:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let token = String::from_utf8_lossy(&output.stdout).trim().to_string();
        let verifier = Authenticator::new(JwtSettings {
            secret: secret.as_str().into(),
            issuer: "agentmon".into(),
            audience: "agentmon".into(),
            jwks: None,
        });
        let Ok(Principal::User(user)) = verifier.verify(&token) else {
            panic!("the token minted with {secret:?} does not verify with it: {token}");
        };
        assert_eq!((user.sub.as_str(), user.role), ("ops", Role::SuperAdmin));
    }
}

//! Tokens: who may call what, and the tokens that must be refused.

use agentmon_core::auth::Role;
use chrono::Utc;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::harness::{error_code, event, TestApp, SECRET};

const ME: &str = "{ me { userId role } }";

fn signed(claims: Value, secret: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn claims(overrides: Value) -> Value {
    let now = Utc::now().timestamp();
    let mut claims = json!({
        "sub": "u1", "role": "SUPER_ADMIN", "iss": "agentmon", "aud": "agentmon",
        "iat": now, "exp": now + 600,
    });
    if let (Some(base), Some(extra)) = (claims.as_object_mut(), overrides.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    claims
}

#[tokio::test]
async fn a_valid_user_token_is_accepted() {
    let app = TestApp::new().await;
    let body = app
        .graphql(Some(&signed(claims(json!({})), SECRET)), ME, json!({}))
        .await;
    assert_eq!(
        body["data"]["me"],
        json!({ "userId": "u1", "role": "SUPER_ADMIN" }),
        "{body}"
    );
}

#[tokio::test]
async fn bad_tokens_are_refused_as_unauthenticated() {
    let app = TestApp::new().await;
    let now = Utc::now().timestamp();
    let alg_none = {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            b64(&claims(json!({})).to_string())
        )
    };
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        (
            "expired",
            Some(signed(claims(json!({"exp": now - 3600})), SECRET)),
        ),
        (
            "wrong key",
            Some(signed(
                claims(json!({})),
                "another-secret-another-secret-another",
            )),
        ),
        (
            "wrong audience",
            Some(signed(claims(json!({"aud": "someone-else"})), SECRET)),
        ),
        (
            "wrong issuer",
            Some(signed(claims(json!({"iss": "evil"})), SECRET)),
        ),
        (
            "not yet valid",
            Some(signed(claims(json!({"nbf": now + 3600})), SECRET)),
        ),
        ("alg none", Some(alg_none)),
        ("garbage", Some("not.a.jwt".into())),
        (
            "member without org",
            Some(signed(claims(json!({"role": "MEMBER"})), SECRET)),
        ),
    ];
    for (name, token) in cases {
        let body = app.graphql(token.as_deref(), ME, json!({})).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{name}: {body}");
        assert!(
            body["data"].is_null() || body["data"]["me"].is_null(),
            "{name}: {body}"
        );
    }
}

#[tokio::test]
async fn a_user_token_cannot_ingest() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    for role in [Role::SuperAdmin, Role::OrgAdmin] {
        let token = app.user_token(role, Some("acme"));
        let body = app
            .ingest_as(&token, &[event("acme", "SESSION_STARTED").build()])
            .await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{role:?}: {body}");
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 0);
}

#[tokio::test]
async fn an_ingest_token_cannot_read() {
    let app = TestApp::new().await;
    let token = app.ingest_token(&["*"]);
    for query in [ME, "{ orgs { slug } }", "{ org(slug: \"acme\") { slug } }"] {
        let body = app.graphql(Some(&token), query, json!({})).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{query}: {body}");
    }
    let body = app
        .graphql(
            Some(&token),
            "mutation { createOrg(slug: \"evil\", name: \"Evil\") { slug } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
}

#[tokio::test]
async fn a_producer_scoped_to_one_org_cannot_write_another() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("globex", "UTC").await;
    let token = app.ingest_token(&["acme"]);
    let body = app
        .ingest_as(
            &token,
            &[
                event("acme", "SESSION_STARTED").build(),
                event("globex", "SESSION_STARTED").build(),
                // A scoped producer learns nothing about orgs outside its scope.
                event("nosuch", "SESSION_STARTED").build(),
            ],
        )
        .await;
    let result = &body["data"]["ingestEvents"];
    assert_eq!(result["accepted"], 1, "{body}");
    assert_eq!(result["rejected"][0]["index"], 1);
    assert_eq!(result["rejected"][0]["code"], "FORBIDDEN_ORG");
    assert_eq!(result["rejected"][1]["index"], 2);
    assert_eq!(result["rejected"][1]["code"], "FORBIDDEN_ORG");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM events e JOIN orgs o ON o.id = e.org_id WHERE o.slug = 'globex'")
            .await,
        0
    );
}

/// A token is verified once and then known by its exact text: a copy with
/// its claims or signature altered is checked on its own and refused.
#[tokio::test]
async fn a_token_accepted_before_vouches_for_no_altered_copy() {
    let app = TestApp::new().await;
    let member = signed(claims(json!({"role": "MEMBER", "org": "acme"})), SECRET);
    for _ in 0..2 {
        let body = app.graphql(Some(&member), ME, json!({})).await;
        assert_eq!(body["data"]["me"]["role"], "MEMBER", "{body}");
    }
    let parts: Vec<&str> = member.split('.').collect();
    let promoted = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let claims = claims(json!({"role": "SUPER_ADMIN"})).to_string();
        format!("{}.{}.{}", parts[0], b64.encode(claims), parts[2])
    };
    // One character in the middle of the signature: a well-formed
    // signature that does not match.
    let resigned = {
        let mut signature: Vec<char> = parts[2].chars().collect();
        signature[10] = if signature[10] == 'A' { 'B' } else { 'A' };
        let signature: String = signature.into_iter().collect();
        format!("{}.{}.{signature}", parts[0], parts[1])
    };
    for (name, token) in [
        ("claims altered", promoted),
        ("signature altered", resigned),
    ] {
        let body = app.graphql(Some(&token), ME, json!({})).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{name}: {body}");
    }
}

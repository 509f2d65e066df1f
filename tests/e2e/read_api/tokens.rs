//! Token attacks, and RS256/ES256 tokens from a JWKS with two keys valid at
//! once (a rotation).

use chrono::Utc;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::harness::{error_code, TestApp};

const RSA_PRIVATE: &[u8] = include_bytes!("../../fixtures/test-rsa-private.pem");
const RSA_PUBLIC: &[u8] = include_bytes!("../../fixtures/test-rsa-public.pem");
const EC_PRIVATE: &[u8] = include_bytes!("../../fixtures/test-ec-private.pem");
const ME: &str = "{ me { userId role } }";

fn rsa() -> EncodingKey {
    EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap_or_else(|e| panic!("{e}"))
}

fn ec() -> EncodingKey {
    EncodingKey::from_ec_pem(EC_PRIVATE).unwrap_or_else(|e| panic!("{e}"))
}

fn jwks() -> JwkSet {
    let mut old =
        Jwk::from_encoding_key(&rsa(), Algorithm::RS256).unwrap_or_else(|e| panic!("{e}"));
    old.common.key_id = Some("2026-10".into());
    let mut new = Jwk::from_encoding_key(&ec(), Algorithm::ES256).unwrap_or_else(|e| panic!("{e}"));
    new.common.key_id = Some("2026-11".into());
    JwkSet {
        keys: vec![old, new],
    }
}

fn claims(extra: Value) -> Value {
    let now = Utc::now().timestamp();
    let mut c = json!({"sub": "u1", "role": "SUPER_ADMIN", "iss": "agentmon", "aud": "agentmon", "iat": now, "exp": now + 600});
    if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
        c.extend(extra.clone());
    }
    c
}

fn sign(alg: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_string);
    encode(&header, claims, key).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn rs256_and_es256_tokens_from_either_key_of_a_rotation_are_accepted() {
    let app = TestApp::with_jwks(Some(jwks())).await;
    for token in [
        sign(
            Algorithm::RS256,
            Some("2026-10"),
            &rsa(),
            &claims(json!({})),
        ),
        sign(Algorithm::ES256, Some("2026-11"), &ec(), &claims(json!({}))),
    ] {
        let body = app.graphql(Some(&token), ME, json!({})).await;
        assert_eq!(
            body["data"]["me"],
            json!({"userId": "u1", "role": "SUPER_ADMIN"}),
            "{body}"
        );
    }
    // The shared secret keeps working beside the JWKS.
    let body = app.graphql(Some(&app.super_admin()), ME, json!({})).await;
    assert_eq!(body["data"]["me"]["role"], "SUPER_ADMIN", "{body}");
}

#[tokio::test]
async fn forged_and_misused_tokens_are_refused() {
    let app = TestApp::with_jwks(Some(jwks())).await;
    let now = Utc::now().timestamp();
    let public_as_secret = EncodingKey::from_secret(RSA_PUBLIC);
    let cases: Vec<(&str, String)> = vec![
        (
            "unknown kid",
            sign(
                Algorithm::RS256,
                Some("2020-01"),
                &rsa(),
                &claims(json!({})),
            ),
        ),
        (
            "expired",
            sign(
                Algorithm::RS256,
                Some("2026-10"),
                &rsa(),
                &claims(json!({"exp": now - 600})),
            ),
        ),
        (
            "not yet valid",
            sign(
                Algorithm::ES256,
                Some("2026-11"),
                &ec(),
                &claims(json!({"nbf": now + 600})),
            ),
        ),
        (
            "wrong issuer",
            sign(
                Algorithm::RS256,
                Some("2026-10"),
                &rsa(),
                &claims(json!({"iss": "evil"})),
            ),
        ),
        (
            "wrong audience",
            sign(
                Algorithm::ES256,
                Some("2026-11"),
                &ec(),
                &claims(json!({"aud": "other"})),
            ),
        ),
        (
            "RSA key used for an ES256 claim",
            sign(
                Algorithm::RS256,
                Some("2026-11"),
                &rsa(),
                &claims(json!({})),
            ),
        ),
        (
            "HS/RS confusion with the kid",
            sign(
                Algorithm::HS256,
                Some("2026-10"),
                &public_as_secret,
                &claims(json!({})),
            ),
        ),
        (
            "HS/RS confusion without a kid",
            sign(
                Algorithm::HS256,
                None,
                &public_as_secret,
                &claims(json!({})),
            ),
        ),
        (
            "RS256 without a kid",
            sign(Algorithm::RS256, None, &rsa(), &claims(json!({}))),
        ),
    ];
    for (name, token) in cases {
        let body = app.graphql(Some(&token), ME, json!({})).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{name}: {body}");
    }
}

#[tokio::test]
async fn a_small_clock_skew_is_tolerated() {
    let app = TestApp::with_jwks(Some(jwks())).await;
    let now = Utc::now().timestamp();
    let token = sign(
        Algorithm::ES256,
        Some("2026-11"),
        &ec(),
        &claims(json!({"nbf": now + 5, "exp": now - 5})),
    );
    let body = app.graphql(Some(&token), ME, json!({})).await;
    assert_eq!(body["data"]["me"]["userId"], "u1", "{body}");
}

//! Who sends an export: a producer API key or an ingest token, as
//! `Authorization: Bearer …` or `x-api-key: …` (the header most agents
//! let one set).

use agentmon_core::auth::{OrgScope, Principal, ProducerPrincipal};
use std::net::IpAddr;

use agentmon_core::Error;
use axum::http::HeaderMap;

use crate::http::{bearer, AppState};

/// The producer behind the request's credential.
pub async fn producer(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Result<ProducerPrincipal, Error> {
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let token = match key {
        Some(key) => key,
        None => bearer(
            headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok()),
        )
        .map_err(|_| {
            Error::Unauthenticated(
                "send a producer API key or ingest token as `Authorization: Bearer <key>` or `x-api-key: <key>`"
                    .into(),
            )
        })?,
    };
    match state.gate(peer).principal(token).await?.0 {
        Principal::Producer(producer) => Ok(producer),
        Principal::User(_) => Err(Error::Forbidden(
            "a user's token cannot send telemetry: use a producer API key or an ingest token"
                .into(),
        )),
    }
}

/// The org a producer's events go to when its scope names exactly one.
pub fn single_org(producer: &ProducerPrincipal) -> Option<&str> {
    match &producer.scope {
        OrgScope::Only(orgs) if orgs.len() == 1 => Some(orgs[0].as_str()),
        _ => None,
    }
}

//! `serve --demo`: on first start, demo orgs filled with generated traffic,
//! sent through the same `ingestEvents` mutation producers use.

use agentmon_core::auth::{OrgScope, Principal, ProducerPrincipal};
use agentmon_core::generate::Plan;
use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::org::{self, NewOrg};
use async_graphql::{Request, Variables};
use serde_json::json;

use crate::graphql::{AppSchema, RequestContext};

pub const INGEST_MUTATION: &str = "mutation($events: [EventInput!]!) { ingestEvents(events: $events) { accepted duplicates rejected { index code message } } }";
pub const CREATE_ORG_MUTATION: &str = "mutation($slug: String!, $name: String!, $timezone: String) { createOrg(slug: $slug, name: $name, timezone: $timezone) { slug } }";

/// Creates and fills the demo orgs unless they exist already. Returns the
/// number of events sent (0 when the demo data was there).
pub async fn seed(schema: &AppSchema, db: &Db, plan: &Plan) -> anyhow::Result<usize> {
    let orgs = plan.orgs();
    let mut conn = db.owner().await?;
    if let Some(first) = orgs.first() {
        if org::by_slug(&mut conn, &first.slug).await?.is_some() {
            return Ok(0);
        }
    }
    for o in &orgs {
        org::create(
            &mut conn,
            &NewOrg {
                slug: o.slug.clone(),
                name: o.name.clone(),
                timezone: o.timezone.clone(),
            },
        )
        .await?;
    }
    drop(conn);
    let mut sent = 0;
    let events: Vec<_> = plan.events().collect();
    for chunk in events.chunks(1_000) {
        // As a producer would: a call the server could not take now
        // (UNAVAILABLE, RATE_LIMITED) is sent again after a moment.
        let mut response = async_graphql::Response::default();
        for attempt in 0..5u64 {
            let request = Request::new(INGEST_MUTATION)
                .variables(Variables::from_json(json!({ "events": chunk })))
                .data(RequestContext::new(
                    Some(Principal::Producer(ProducerPrincipal {
                        id: "demo".into(),
                        scope: OrgScope::All,
                    })),
                    "demo-seed".into(),
                ));
            response = schema.execute(request).await;
            let retry = response.errors.iter().any(|e| {
                e.extensions
                    .as_ref()
                    .and_then(|x| x.get("code"))
                    .is_some_and(|c| {
                        *c == async_graphql::Value::from("UNAVAILABLE")
                            || *c == async_graphql::Value::from("RATE_LIMITED")
                    })
            });
            if !retry {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200 * (attempt + 1))).await;
        }
        anyhow::ensure!(
            response.errors.is_empty(),
            "demo ingest failed: {:?}",
            response.errors
        );
        sent += chunk.len();
    }
    tracing::info!(events = sent, orgs = orgs.len(), "demo data sent");
    Ok(sent)
}

//! Alert notifications over GraphQL: `Org.alertNotifications` (newest
//! first, paged) and the objects `alertNotified` pushes, each with its
//! deliveries. MANAGER and up.

use agentmon_core::auth::policy::Capability;
use agentmon_core::storage::models::alert_notification::{self as n, Notification};
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::{alert_channel, alert_rule};
use agentmon_core::Error;
use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::access::{authorize, in_org};
use super::alert_rules::{object, parsed, AlertRuleObject, AlertState};
use super::alerts::{delivery_of, AlertDelivery};
use super::context::GqlResult;

/// A state change of a rule, with its deliveries.
pub struct AlertNotificationObject {
    org: Org,
    row: Notification,
    deliveries: Vec<AlertDelivery>,
}

#[Object(name = "AlertNotification")]
impl AlertNotificationObject {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }
    async fn rule(&self, ctx: &Context<'_>) -> async_graphql::Result<AlertRuleObject> {
        let (org_id, id) = (self.org.id, self.row.rule_id);
        let (rule, states) = in_org!(ctx, org_id, |tx| (
            alert_rule::by_id(tx, id).await?,
            alert_rule::states(tx, org_id).await?
        ))?;
        let rule = rule
            .ok_or_else(|| Error::NotFound(format!("no alert rule {id}")))
            .gql()?;
        let state = states.into_iter().find(|s| s.rule_id == id);
        Ok(object(self.org.clone(), rule, state))
    }
    /// WARNING, FIRING, or OK when it resolved.
    async fn state(&self) -> AlertState {
        parsed(&self.row.state).unwrap_or(AlertState::Ok)
    }
    async fn value(&self) -> f64 {
        self.row.value
    }
    async fn threshold(&self) -> f64 {
        self.row.threshold
    }
    async fn window_start(&self) -> DateTime<Utc> {
        self.row.window_start
    }
    async fn at(&self) -> DateTime<Utc> {
        self.row.at
    }
    async fn deliveries(&self) -> &[AlertDelivery] {
        &self.deliveries
    }
}

/// `rows` of `org` with their deliveries, read on `conn` (bound to the org).
pub async fn with_deliveries(
    conn: &mut AsyncPgConnection,
    org: &Org,
    rows: Vec<Notification>,
) -> agentmon_core::Result<Vec<AlertNotificationObject>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let deliveries = n::deliveries(conn, &ids).await?;
    let channels = alert_channel::of_org(conn, org.id).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let deliveries = deliveries
                .iter()
                .filter(|d| d.notification_id == row.id)
                .filter_map(|d| {
                    let channel = channels.iter().find(|c| c.id == d.channel_id)?;
                    Some(delivery_of(
                        channel,
                        &d.status,
                        d.attempts,
                        d.response_status,
                        d.last_error.clone(),
                    ))
                })
                .collect();
            AlertNotificationObject {
                org: org.clone(),
                row,
                deliveries,
            }
        })
        .collect())
}

#[derive(async_graphql::SimpleObject)]
#[graphql(name = "AlertNotificationEdge")]
pub struct AlertNotificationEdge {
    pub cursor: String,
    pub node: AlertNotificationObject,
}

#[derive(async_graphql::SimpleObject)]
#[graphql(name = "AlertNotificationConnection")]
pub struct AlertNotificationConnection {
    pub edges: Vec<AlertNotificationEdge>,
    pub page_info: super::paging::PageInfo,
    pub total_count: i32,
}

fn cursor_of(c: &str) -> Result<(DateTime<Utc>, Uuid), Error> {
    let v = super::paging::decode_cursor(c)?;
    let at = v[0].as_str().and_then(|s| s.parse::<DateTime<Utc>>().ok());
    let id = v[1].as_str().and_then(|s| s.parse::<Uuid>().ok());
    at.zip(id)
        .ok_or_else(|| Error::BadUserInput("after is not a cursor returned by this list".into()))
}

/// `Org.alertNotifications`: newest first; MANAGER and up.
pub async fn page(
    ctx: &Context<'_>,
    org: &Org,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<AlertNotificationConnection> {
    use super::paging::{encode_cursor, page_size, List, PageInfo};
    authorize(ctx, org, Capability::People).await?;
    let limit = page_size(List::Items, first).gql()?;
    let after = after.as_deref().map(cursor_of).transpose().gql()?;
    let org_id = org.id;
    let (nodes, total) = in_org!(ctx, org_id, |tx| {
        let (rows, total) = n::page(tx, org_id, after, limit + 1).await?;
        (with_deliveries(tx, org, rows).await?, total)
    })?;
    let has_next_page = nodes.len() as i64 > limit;
    let edges: Vec<AlertNotificationEdge> = nodes
        .into_iter()
        .take(limit as usize)
        .map(|node| AlertNotificationEdge {
            cursor: encode_cursor(&serde_json::json!([node.row.at, node.row.id])),
            node,
        })
        .collect();
    let end_cursor = edges.last().map(|e| e.cursor.clone());
    Ok(AlertNotificationConnection {
        edges,
        page_info: PageInfo {
            has_next_page,
            end_cursor,
        },
        total_count: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

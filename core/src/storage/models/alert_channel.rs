//! Alert channels and their deliveries, read and written in a transaction
//! bound to the org (row-level security keeps each org to its own).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::storage::schema::{alert_channels, alert_deliveries};

/// Most channels an org may have.
pub const MAX_CHANNELS: i64 = 50;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = alert_channels, check_for_backend(diesel::pg::Pg))]
pub struct Channel {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    /// `WEBHOOK` or `SLACK`.
    pub kind: String,
    pub url: String,
    pub signing_secret: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

pub struct NewChannel<'a> {
    pub org_id: Uuid,
    pub name: &'a str,
    pub kind: &'a str,
    pub url: &'a str,
    pub signing_secret: &'a str,
    pub created_by: &'a str,
}

pub async fn create(conn: &mut AsyncPgConnection, new: &NewChannel<'_>) -> QueryResult<Channel> {
    diesel::insert_into(alert_channels::table)
        .values((
            alert_channels::org_id.eq(new.org_id),
            alert_channels::name.eq(new.name),
            alert_channels::kind.eq(new.kind),
            alert_channels::url.eq(new.url),
            alert_channels::signing_secret.eq(new.signing_secret),
            alert_channels::created_by.eq(new.created_by),
        ))
        .returning(Channel::as_returning())
        .get_result(conn)
        .await
}

/// The org's channels, oldest first.
pub async fn of_org(conn: &mut AsyncPgConnection, org_id: Uuid) -> QueryResult<Vec<Channel>> {
    alert_channels::table
        .filter(alert_channels::org_id.eq(org_id))
        .order((alert_channels::created_at, alert_channels::id))
        .select(Channel::as_select())
        .load(conn)
        .await
}

pub async fn count(conn: &mut AsyncPgConnection, org_id: Uuid) -> QueryResult<i64> {
    alert_channels::table
        .filter(alert_channels::org_id.eq(org_id))
        .count()
        .get_result(conn)
        .await
}

pub async fn by_id(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Channel>> {
    alert_channels::table
        .find(id)
        .select(Channel::as_select())
        .first(conn)
        .await
        .optional()
}

/// Deletes channel `id` (and its deliveries); the channel as it was.
pub async fn delete(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Channel>> {
    diesel::delete(alert_channels::table.find(id))
        .returning(Channel::as_returning())
        .get_result(conn)
        .await
        .optional()
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = alert_deliveries, check_for_backend(diesel::pg::Pg))]
pub struct Delivery {
    pub id: Uuid,
    pub channel_id: Uuid,
    /// `PENDING`, `DELIVERED` or `FAILED`.
    pub status: String,
    pub attempts: i32,
    pub response_status: Option<i32>,
    pub last_error: Option<String>,
}

/// Records a delivery made once, now (a channel's test).
pub async fn record_once(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    channel_id: Uuid,
    id: Uuid,
    body: &serde_json::Value,
    outcome: &crate::alerts::Attempt,
) -> QueryResult<Delivery> {
    diesel::insert_into(alert_deliveries::table)
        .values((
            alert_deliveries::id.eq(id),
            alert_deliveries::org_id.eq(org_id),
            alert_deliveries::channel_id.eq(channel_id),
            alert_deliveries::purpose.eq("TEST"),
            alert_deliveries::body.eq(body),
            alert_deliveries::status.eq(if outcome.delivered {
                "DELIVERED"
            } else {
                "FAILED"
            }),
            alert_deliveries::attempts.eq(1),
            alert_deliveries::response_status.eq(outcome.response_status.map(i32::from)),
            alert_deliveries::last_error.eq(outcome.error.as_deref()),
        ))
        .returning(Delivery::as_returning())
        .get_result(conn)
        .await
}

//! Notifications of an org's alert rules, newest first, with their
//! deliveries; read in a transaction bound to the org.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

#[derive(diesel::QueryableByName, Debug, Clone)]
pub struct Notification {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub rule_id: Uuid,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Double)]
    pub value: f64,
    #[diesel(sql_type = Double)]
    pub threshold: f64,
    #[diesel(sql_type = Timestamptz)]
    pub window_start: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
}

/// A page of the org's notifications after (`at`, `id`), newest first,
/// and how many there are.
pub async fn page(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> diesel::QueryResult<(Vec<Notification>, i64)> {
    let (at, id) = after.unzip();
    let rows = diesel::sql_query(
        "SELECT id, rule_id, state, value, threshold, window_start, at FROM alert_notifications \
         WHERE org_id = $1 AND ($2::timestamptz IS NULL OR (at, id) < ($2, $3)) \
         ORDER BY at DESC, id DESC LIMIT $4",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Nullable<Timestamptz>, _>(at)
    .bind::<Nullable<SqlUuid>, _>(id)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let total: Count =
        diesel::sql_query("SELECT count(*) AS n FROM alert_notifications WHERE org_id = $1")
            .bind::<SqlUuid, _>(org_id)
            .get_result(conn)
            .await?;
    Ok((rows, total.n))
}

/// The org's notifications at or after `at`, oldest first (at most 500).
pub async fn since(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    at: DateTime<Utc>,
) -> diesel::QueryResult<Vec<Notification>> {
    diesel::sql_query(
        "SELECT id, rule_id, state, value, threshold, window_start, at FROM alert_notifications \
         WHERE org_id = $1 AND at >= $2 ORDER BY at, id LIMIT 500",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Timestamptz, _>(at)
    .load(conn)
    .await
}

/// Notifications `ids` of the org (those of another org are not found).
pub async fn by_ids(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    ids: &[Uuid],
) -> diesel::QueryResult<Vec<Notification>> {
    diesel::sql_query(
        "SELECT id, rule_id, state, value, threshold, window_start, at FROM alert_notifications \
         WHERE org_id = $1 AND id = ANY($2) ORDER BY at, id",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(ids)
    .load(conn)
    .await
}

#[derive(diesel::QueryableByName, Debug, Clone)]
pub struct DeliveryRow {
    #[diesel(sql_type = SqlUuid)]
    pub notification_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub channel_id: Uuid,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    pub response_status: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
}

/// The deliveries of these notifications.
pub async fn deliveries(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> diesel::QueryResult<Vec<DeliveryRow>> {
    diesel::sql_query(
        "SELECT notification_id, channel_id, status, attempts, response_status, last_error \
         FROM alert_deliveries WHERE notification_id = ANY($1) ORDER BY created_at",
    )
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(ids)
    .load(conn)
    .await
}

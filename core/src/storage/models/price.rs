//! The model price table: an org's prices and the platform's defaults.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::metrics::pricing::{Price, PriceTable};
use crate::storage::db::prepared;
use crate::Result;

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    org_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    model: String,
    #[diesel(sql_type = Timestamptz)]
    valid_from: DateTime<Utc>,
    #[diesel(sql_type = Numeric)]
    input_usd_per_mtok: Decimal,
    #[diesel(sql_type = Numeric)]
    output_usd_per_mtok: Decimal,
    #[diesel(sql_type = Numeric)]
    cache_read_usd_per_mtok: Decimal,
    #[diesel(sql_type = Numeric)]
    cache_creation_usd_per_mtok: Decimal,
}

impl From<Row> for Price {
    fn from(r: Row) -> Price {
        Price {
            id: r.id,
            org_id: r.org_id,
            model: r.model,
            valid_from: r.valid_from,
            input: r.input_usd_per_mtok.normalize(),
            output: r.output_usd_per_mtok.normalize(),
            cache_read: r.cache_read_usd_per_mtok.normalize(),
            cache_creation: r.cache_creation_usd_per_mtok.normalize(),
        }
    }
}

const COLUMNS: &str = "id, org_id, model, valid_from, input_usd_per_mtok, output_usd_per_mtok, \
     cache_read_usd_per_mtok, cache_creation_usd_per_mtok";

/// The prices of `org` (`None`: only the platform's), then the platform's,
/// each by model and time.
pub async fn list(conn: &mut AsyncPgConnection, org: Option<Uuid>) -> Result<Vec<Price>> {
    let rows: Vec<Row> = prepared(format!(
        "SELECT {COLUMNS} FROM model_prices WHERE org_id IS NULL OR org_id = $1 \
         ORDER BY org_id NULLS LAST, model, valid_from"
    ))
    .bind::<Nullable<SqlUuid>, _>(org)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(Price::from).collect())
}

/// The table `org`'s calls are priced from.
pub async fn table(conn: &mut AsyncPgConnection, org: Uuid) -> Result<PriceTable> {
    let (own, platform) = list(conn, Some(org))
        .await?
        .into_iter()
        .partition(|p| p.org_id.is_some());
    Ok(PriceTable { org: own, platform })
}

/// One price by id.
pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> Result<Option<Price>> {
    let rows: Vec<Row> = prepared(format!("SELECT {COLUMNS} FROM model_prices WHERE id = $1"))
        .bind::<SqlUuid, _>(id)
        .load(conn)
        .await?;
    Ok(rows.into_iter().next().map(Price::from))
}

/// Sets the price of `model` from `valid_from` for `org` (the platform's
/// with `None`), replacing one set for the same moment.
pub async fn set(conn: &mut AsyncPgConnection, price: &Price, created_by: &str) -> Result<Price> {
    let row: Row = prepared(format!(
        "INSERT INTO model_prices (org_id, model, valid_from, input_usd_per_mtok, output_usd_per_mtok,
           cache_read_usd_per_mtok, cache_creation_usd_per_mtok, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (coalesce(org_id, '00000000-0000-0000-0000-000000000000'::uuid), model, valid_from)
         DO UPDATE SET input_usd_per_mtok = excluded.input_usd_per_mtok,
           output_usd_per_mtok = excluded.output_usd_per_mtok,
           cache_read_usd_per_mtok = excluded.cache_read_usd_per_mtok,
           cache_creation_usd_per_mtok = excluded.cache_creation_usd_per_mtok,
           created_by = excluded.created_by, created_at = now()
         RETURNING {COLUMNS}"
    ))
    .bind::<Nullable<SqlUuid>, _>(price.org_id)
    .bind::<Text, _>(&price.model)
    .bind::<Timestamptz, _>(price.valid_from)
    .bind::<Numeric, _>(price.input)
    .bind::<Numeric, _>(price.output)
    .bind::<Numeric, _>(price.cache_read)
    .bind::<Numeric, _>(price.cache_creation)
    .bind::<Text, _>(created_by)
    .get_result(conn)
    .await?;
    Ok(row.into())
}

/// Deletes a price; whether it was there.
pub async fn delete(conn: &mut AsyncPgConnection, id: Uuid) -> Result<bool> {
    let n = prepared("DELETE FROM model_prices WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .execute(conn)
        .await?;
    Ok(n > 0)
}

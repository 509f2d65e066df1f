//! The model price table: `modelPrices`, `setModelPrice`,
//! `deleteModelPrice`. The platform's defaults are a SUPER_ADMIN's; an
//! org's own prices its ORG_ADMIN's (and a SUPER_ADMIN's). Each change is
//! audited and re-prices by a job (`Query.job`).

use agentmon_core::auth::{Role, UserPrincipal};
use agentmon_core::metrics::pricing::Price;
use agentmon_core::storage::models::price;
use agentmon_core::Error;
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::actions;
use crate::graphql::access::administered;
use crate::graphql::context::{db, GqlResult, RequestContext};
use crate::graphql::kpis::money;

/// A price per million tokens, valid from a moment on; the most specific
/// model pattern wins.
#[derive(SimpleObject)]
pub struct ModelPrice {
    pub id: ID,
    /// null: the platform default for every org.
    pub org: Option<String>,
    /// An exact model name, or a prefix ending in "*".
    pub model: String,
    pub valid_from: DateTime<Utc>,
    pub input_usd_per_m_tok: String,
    pub output_usd_per_m_tok: String,
    pub cache_read_usd_per_m_tok: String,
    pub cache_creation_usd_per_m_tok: String,
}

#[derive(InputObject)]
pub struct ModelPriceInput {
    /// An exact model name, or a prefix ending in "*" (e.g. "claude-*").
    pub model: String,
    pub valid_from: DateTime<Utc>,
    /// Decimal strings, e.g. "3" or "0.30": US dollars per million tokens.
    pub input_usd_per_m_tok: String,
    pub output_usd_per_m_tok: String,
    pub cache_read_usd_per_m_tok: Option<String>,
    pub cache_creation_usd_per_m_tok: Option<String>,
}

fn object(p: Price, org: Option<&str>) -> ModelPrice {
    ModelPrice {
        id: ID(p.id.to_string()),
        org: p.org_id.and(org.map(str::to_string)),
        model: p.model,
        valid_from: p.valid_from,
        input_usd_per_m_tok: money(p.input),
        output_usd_per_m_tok: money(p.output),
        cache_read_usd_per_m_tok: money(p.cache_read),
        cache_creation_usd_per_m_tok: money(p.cache_creation),
    }
}

/// A price per million tokens: a decimal string from 0 to 1,000,000.
fn per_million(field: &str, value: Option<&str>) -> Result<Decimal, Error> {
    let Some(text) = value else {
        return Ok(Decimal::ZERO);
    };
    let bad = || {
        Error::BadUserInput(format!(
            "{field} must be a decimal string of US dollars per million tokens from 0 to 1000000, such as \"3\" or \"0.30\"; got {text:?}"
        ))
    };
    let plain = text.trim();
    // Digits with at most one point: no exponent, no sign.
    if plain.is_empty()
        || plain.matches('.').count() > 1
        || !plain.chars().all(|c| c.is_ascii_digit() || c == '.')
    {
        return Err(bad());
    }
    let d: Decimal = plain.parse().map_err(|_| bad())?;
    if d.is_sign_negative() || d > Decimal::from(1_000_000) || d.scale() > 9 {
        return Err(bad());
    }
    Ok(d.normalize())
}

fn check_model(model: &str) -> Result<String, Error> {
    let m = model.trim();
    let stars = m.matches('*').count();
    if m.is_empty()
        || m.chars().count() > 256
        || stars > 1
        || (stars == 1 && !m.ends_with('*'))
        || m == "*"
    {
        return Err(Error::BadUserInput(format!(
            "model must be a model name or a prefix ending in \"*\" (such as \"claude-*\"), 1 to 256 characters; got {model:?}"
        )));
    }
    Ok(m.to_string())
}

fn super_admin(viewer: &UserPrincipal, what: &str) -> Result<(), Error> {
    if viewer.role == Role::SuperAdmin {
        return Ok(());
    }
    Err(Error::Forbidden(format!(
        "only a SUPER_ADMIN may {what} the platform's prices; an ORG_ADMIN sets the org's own with `org`"
    )))
}

/// The org a price belongs to, by id, with the viewer's right to it.
async fn org_of<'a>(
    ctx: &Context<'a>,
    org_id: Option<Uuid>,
) -> async_graphql::Result<(&'a UserPrincipal, Option<String>)> {
    let viewer = RequestContext::of(ctx)?.user().gql()?;
    let Some(id) = org_id else {
        super_admin(viewer, "change").gql()?;
        return Ok((viewer, None));
    };
    let mut conn = db(ctx)?.owner().await.gql()?;
    #[derive(diesel::QueryableByName)]
    struct Slug {
        #[diesel(sql_type = diesel::sql_types::Text)]
        slug: String,
    }
    let slug: Slug = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query("SELECT slug FROM orgs WHERE id = $1")
            .bind::<diesel::sql_types::Uuid, _>(id),
        &mut conn,
    )
    .await
    .map_err(agentmon_core::Error::from)
    .gql()?;
    drop(conn);
    let (viewer, _) = administered(ctx, &slug.slug).await?;
    Ok((viewer, Some(slug.slug)))
}

#[derive(Default)]
pub struct PriceQuery;

#[Object]
impl PriceQuery {
    /// The org's prices and the platform defaults it inherits (ORG_ADMIN of
    /// the org, SUPER_ADMIN); without `org`, the platform's (SUPER_ADMIN).
    async fn model_prices(
        &self,
        ctx: &Context<'_>,
        org: Option<String>,
    ) -> async_graphql::Result<Vec<ModelPrice>> {
        let (org_id, slug) = match &org {
            Some(slug) => {
                let (_, found) = administered(ctx, slug).await?;
                (Some(found.id), Some(found.slug))
            }
            None => {
                super_admin(RequestContext::of(ctx)?.user().gql()?, "list").gql()?;
                (None, None)
            }
        };
        let mut conn = db(ctx)?.owner().await.gql()?;
        let prices = price::list(&mut conn, org_id).await.gql()?;
        Ok(prices
            .into_iter()
            .map(|p| object(p, slug.as_deref()))
            .collect())
    }
}

#[derive(Default)]
pub struct PriceMutation;

#[Object]
impl PriceMutation {
    /// SUPER_ADMIN without `org` (the platform's default); ORG_ADMIN or
    /// SUPER_ADMIN for an org. A price for the same model and moment is
    /// replaced. Audited; a job re-prices every estimated and unpriced call
    /// it covers (reported costs never change).
    async fn set_model_price(
        &self,
        ctx: &Context<'_>,
        org: Option<String>,
        price: ModelPriceInput,
    ) -> async_graphql::Result<ModelPrice> {
        let (viewer, org_id, slug) = match &org {
            Some(slug) => {
                let (viewer, found) = administered(ctx, slug).await?;
                (viewer, Some(found.id), Some(found.slug))
            }
            None => {
                let viewer = RequestContext::of(ctx)?.user().gql()?;
                super_admin(viewer, "set").gql()?;
                (viewer, None, None)
            }
        };
        let new = Price {
            id: Uuid::nil(),
            org_id,
            model: check_model(&price.model).gql()?,
            valid_from: price.valid_from,
            input: per_million("inputUsdPerMTok", Some(&price.input_usd_per_m_tok)).gql()?,
            output: per_million("outputUsdPerMTok", Some(&price.output_usd_per_m_tok)).gql()?,
            cache_read: per_million(
                "cacheReadUsdPerMTok",
                price.cache_read_usd_per_m_tok.as_deref(),
            )
            .gql()?,
            cache_creation: per_million(
                "cacheCreationUsdPerMTok",
                price.cache_creation_usd_per_m_tok.as_deref(),
            )
            .gql()?,
        };
        let saved = actions::prices::set(db(ctx)?, viewer, slug.as_deref(), &new)
            .await
            .gql()?;
        Ok(object(saved, slug.as_deref()))
    }

    /// Deletes a price (who may set it may delete it). Audited; re-prices
    /// by a job.
    async fn delete_model_price(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let not_found = || Error::NotFound(format!("no model price {}", id.as_str()));
        let id: Uuid = id.parse().map_err(|_| not_found()).gql()?;
        let mut conn = db(ctx)?.owner().await.gql()?;
        let found = price::get(&mut conn, id).await.gql()?;
        drop(conn);
        let Some(found) = found else {
            return Err(not_found()).gql();
        };
        let (viewer, slug) = org_of(ctx, found.org_id).await?;
        actions::prices::delete(db(ctx)?, viewer, slug.as_deref(), &found)
            .await
            .gql()
    }
}

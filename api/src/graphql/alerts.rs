//! Alert channels over GraphQL: `Org.alertChannels`, `createAlertChannel`
//! (the signing secret shown once), `deleteAlertChannel`,
//! `testAlertChannel` (one signed delivery now, recorded). ORG_ADMIN of
//! the org, or SUPER_ADMIN. A target is shown as its scheme, host and port
//! only: the path may hold a secret.

use agentmon_core::alerts::{self, Signed, Target, WebhookPolicy};
use agentmon_core::storage::models::alert_channel::{self, Channel, Delivery};
use agentmon_core::storage::models::org::Org;
use agentmon_core::Error;
use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::access::{administered, in_org};
use super::context::{db, GqlResult, RequestContext};
use crate::actions;
use crate::rate_limits::{RateLimits, CHANNEL_TESTS_PER_MINUTE};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AlertChannelKind {
    Webhook,
    Slack,
}

impl AlertChannelKind {
    fn as_str(self) -> &'static str {
        match self {
            AlertChannelKind::Webhook => "WEBHOOK",
            AlertChannelKind::Slack => "SLACK",
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

#[derive(SimpleObject, Clone)]
pub struct AlertChannel {
    pub id: ID,
    pub name: String,
    pub kind: AlertChannelKind,
    /// Scheme, host and port only: the path may hold a secret.
    pub target: String,
    pub created_at: DateTime<Utc>,
}

impl From<&Channel> for AlertChannel {
    fn from(c: &Channel) -> AlertChannel {
        AlertChannel {
            id: ID(c.id.to_string()),
            name: c.name.clone(),
            kind: if c.kind == "SLACK" {
                AlertChannelKind::Slack
            } else {
                AlertChannelKind::Webhook
            },
            target: Target::parse(&c.url).map(|t| t.shown()).unwrap_or_default(),
            created_at: c.created_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct CreatedAlertChannel {
    pub channel: AlertChannel,
    /// Shown once: receivers check `X-Agentmon-Signature` with it.
    pub signing_secret: String,
}

#[derive(SimpleObject)]
pub struct AlertDelivery {
    pub channel: AlertChannel,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub response_status: Option<i32>,
    pub last_error: Option<String>,
}

fn delivery(channel: &Channel, d: &Delivery) -> AlertDelivery {
    delivery_of(
        channel,
        &d.status,
        d.attempts,
        d.response_status,
        d.last_error.clone(),
    )
}

/// A delivery to `channel` as the API shows it.
pub fn delivery_of(
    channel: &Channel,
    status: &str,
    attempts: i32,
    response_status: Option<i32>,
    last_error: Option<String>,
) -> AlertDelivery {
    AlertDelivery {
        channel: channel.into(),
        status: match status {
            "DELIVERED" => DeliveryStatus::Delivered,
            "FAILED" => DeliveryStatus::Failed,
            _ => DeliveryStatus::Pending,
        },
        attempts,
        response_status,
        last_error,
    }
}

/// `Org.alertChannels`: ORG_ADMIN of the org, or SUPER_ADMIN.
pub async fn of_org(ctx: &Context<'_>, org: &Org) -> async_graphql::Result<Vec<AlertChannel>> {
    administered(ctx, &org.slug).await?;
    let org_id = org.id;
    let channels = in_org!(ctx, org_id, |tx| alert_channel::of_org(tx, org_id).await?)?;
    Ok(channels.iter().map(AlertChannel::from).collect())
}

/// The org holding row `id` of alert table `table` (`alert_channels`,
/// `alert_rules`), for an admin of that org, and the id; NOT_FOUND (`what`
/// named) alike for a row that does not exist and one of an org the
/// viewer does not administer.
pub async fn admin_org_of(
    ctx: &Context<'_>,
    table: &'static str,
    what: &str,
    id: &ID,
) -> async_graphql::Result<(Org, Uuid)> {
    let missing = || Error::NotFound(format!("no {what} {} that you may manage", id.as_str()));
    let id: Uuid = id.parse().map_err(|_| missing()).gql()?;
    #[derive(diesel::QueryableByName)]
    struct Slug {
        #[diesel(sql_type = diesel::sql_types::Text)]
        slug: String,
    }
    let mut conn = db(ctx)?.owner().await.gql()?;
    let found: Vec<Slug> = diesel_async::RunQueryDsl::load(
        diesel::sql_query(format!(
            "SELECT o.slug FROM {table} t JOIN orgs o ON o.id = t.org_id WHERE t.id = $1"
        ))
        .bind::<diesel::sql_types::Uuid, _>(id),
        &mut conn,
    )
    .await
    .map_err(Error::from)
    .gql()?;
    drop(conn);
    let slug = found.into_iter().next().ok_or_else(missing).gql()?.slug;
    let (_, org) = administered(ctx, &slug)
        .await
        .map_err(|_| missing())
        .gql()?;
    Ok((org, id))
}

/// Channel `id` and its org, for an admin of that org.
async fn channel_of(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<(Org, Channel)> {
    let (org, id) = admin_org_of(ctx, "alert_channels", "alert channel", id).await?;
    let org_id = org.id;
    let channel = in_org!(ctx, org_id, |tx| alert_channel::by_id(tx, id).await?)?
        .ok_or_else(|| Error::NotFound(format!("no alert channel {id} that you may manage")))
        .gql()?;
    Ok((org, channel))
}

/// What a channel's test sends: a webhook's JSON, or Slack's message.
fn test_body(org: &Org, channel: &Channel, at: DateTime<Utc>) -> serde_json::Value {
    let text = format!(
        "agentmon: a test of the alert channel {:?} of {} — notifications will arrive like this.",
        channel.name, org.name
    );
    if channel.kind == "SLACK" {
        serde_json::json!({ "text": text })
    } else {
        serde_json::json!({
            "type": "TEST",
            "org": org.slug,
            "channel": channel.name,
            "text": text,
            "at": at,
        })
    }
}

#[derive(Default)]
pub struct AlertMutation;

#[Object]
impl AlertMutation {
    /// ORG_ADMIN of the org, or SUPER_ADMIN: a channel posting to `url`
    /// (http or https, on a public address unless the operator allows
    /// private ones). Its signing secret is in the answer, and nowhere
    /// after.
    async fn create_alert_channel(
        &self,
        ctx: &Context<'_>,
        org: String,
        name: String,
        kind: AlertChannelKind,
        url: String,
    ) -> async_graphql::Result<CreatedAlertChannel> {
        let (viewer, org) = administered(ctx, &org).await?;
        let policy = *ctx.data::<WebhookPolicy>()?;
        let (channel, secret) =
            actions::alerts::create(db(ctx)?, policy, viewer, &org, &name, kind.as_str(), &url)
                .await
                .gql()?;
        Ok(CreatedAlertChannel {
            channel: (&channel).into(),
            signing_secret: secret,
        })
    }

    /// ORG_ADMIN of the channel's org, or SUPER_ADMIN.
    async fn delete_alert_channel(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let (org, channel) = channel_of(ctx, &id).await?;
        let viewer = RequestContext::of(ctx)?.user().gql()?;
        actions::alerts::delete(db(ctx)?, viewer, &org, channel.id)
            .await
            .gql()?;
        Ok(true)
    }

    /// ORG_ADMIN of the channel's org, or SUPER_ADMIN: one signed delivery
    /// now (no retry), recorded with its outcome.
    async fn test_alert_channel(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<AlertDelivery> {
        let (org, channel) = channel_of(ctx, &id).await?;
        let policy = *ctx.data::<WebhookPolicy>()?;
        // A test button, not a way to flood a receiver through agentmon:
        // taken before the send (tests at once each take one), and per org
        // (a channel deleted and made again starts no new count).
        let tests = &ctx.data::<RateLimits>()?.channel_tests;
        if let Err(Error::RateLimited {
            retry_after_seconds,
            ..
        }) = tests.take(&org.id.to_string(), 1).await
        {
            return Err(Error::RateLimited {
                message: format!(
                    "org {:?} tested its channels {CHANNEL_TESTS_PER_MINUTE} times in the last minute; try again in {retry_after_seconds} s",
                    org.slug
                ),
                retry_after_seconds,
            })
            .gql();
        }
        let body = test_body(&org, &channel, Utc::now());
        let signed = Signed::new(&channel.signing_secret, Uuid::new_v4(), &body);
        let outcome = alerts::send_to(&channel.url, policy, &signed).await;
        let org_id = org.id;
        let recorded = in_org!(ctx, org_id, |tx| alert_channel::record_once(
            tx,
            org_id,
            channel.id,
            signed.delivery_id,
            &body,
            &outcome
        )
        .await?)?;
        Ok(delivery(&channel, &recorded))
    }
}

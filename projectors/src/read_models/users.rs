//! The users read model: first seen, last active, and the profile (email,
//! name), each field last-write-wins by occurrence time. Every update is
//! commutative, so order and repetition do not matter.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use agentmon_core::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Nullable, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

use crate::projector::{Batch, Changes, Projector, ReplayScope};
use crate::sql::write_rows;

pub struct UsersProjector;

#[derive(Serialize, Default)]
struct Row {
    org_id: Uuid,
    user_id: String,
    first_seen_at: Option<DateTime<Utc>>,
    last_active_at: Option<DateTime<Utc>>,
    email: Option<String>,
    email_at: Option<DateTime<Utc>>,
    email_event: Option<Uuid>,
    name: Option<String>,
    name_at: Option<DateTime<Utc>>,
    name_event: Option<Uuid>,
}

/// Later (occurredAt, eventId) wins, field by field; NULL never wins.
static UPSERT: LazyLock<String> = LazyLock::new(|| {
    let last_write_wins = |field: &str| {
        let newer = format!(
            "excluded.{field}_at IS NOT NULL AND (u.{field}_at IS NULL \
             OR (excluded.{field}_at, excluded.{field}_event) > (u.{field}_at, u.{field}_event))"
        );
        ["", "_at", "_event"]
            .iter()
            .map(|part| format!("{field}{part} = CASE WHEN {newer} THEN excluded.{field}{part} ELSE u.{field}{part} END"))
            .collect::<Vec<_>>()
            .join(",\n  ")
    };
    format!(
        "INSERT INTO users AS u (org_id, user_id, first_seen_at, last_active_at, email, email_at, email_event,
  name, name_at, name_event)
SELECT * FROM jsonb_to_recordset($1) AS x(org_id uuid, user_id text, first_seen_at timestamptz,
  last_active_at timestamptz, email text, email_at timestamptz, email_event uuid, name text,
  name_at timestamptz, name_event uuid)
ON CONFLICT (org_id, user_id) DO UPDATE SET
  first_seen_at = LEAST(u.first_seen_at, excluded.first_seen_at),
  last_active_at = GREATEST(u.last_active_at, excluded.last_active_at),
  {},
  {}",
        last_write_wins("email"),
        last_write_wins("name")
    )
});

#[async_trait]
impl Projector for UsersProjector {
    fn name(&self) -> &'static str {
        "users"
    }

    async fn apply(&self, tx: &mut AsyncPgConnection, batch: &Batch) -> Result<Changes> {
        let mut rows: BTreeMap<(Uuid, &str), Row> = BTreeMap::new();
        for e in &batch.events {
            let row = rows
                .entry((e.org_id, e.user_id.as_str()))
                .or_insert_with(|| Row {
                    org_id: e.org_id,
                    user_id: e.user_id.clone(),
                    ..Row::default()
                });
            let at = e.occurred_at;
            row.first_seen_at = Some(row.first_seen_at.map_or(at, |f| f.min(at)));
            row.last_active_at = Some(row.last_active_at.map_or(at, |l| l.max(at)));
            let Some(profile) = &e.payload.user else {
                continue;
            };
            let newer = |seen_at: Option<DateTime<Utc>>, seen_event: Option<Uuid>| {
                seen_at.is_none_or(|s| (at, e.event_id) > (s, seen_event.unwrap_or_default()))
            };
            if let Some(email) = &profile.email {
                if newer(row.email_at, row.email_event) {
                    (row.email, row.email_at, row.email_event) =
                        (Some(email.clone()), Some(at), Some(e.event_id));
                }
            }
            if let Some(name) = &profile.name {
                if newer(row.name_at, row.name_event) {
                    (row.name, row.name_at, row.name_event) =
                        (Some(name.clone()), Some(at), Some(e.event_id));
                }
            }
        }
        let rows: Vec<Row> = rows.into_values().collect();
        write_rows(tx, &UPSERT, &rows).await?;
        let mut changes = Changes::default();
        changes.orgs.extend(rows.iter().map(|r| r.org_id));
        Ok(changes)
    }

    /// Users stay (they may hold roles); what the projector derived goes.
    async fn reset(&self, tx: &mut AsyncPgConnection, scope: &ReplayScope) -> Result<()> {
        diesel::sql_query(
            "UPDATE users SET first_seen_at = NULL, last_active_at = NULL, email = NULL, \
             email_at = NULL, email_event = NULL, name = NULL, name_at = NULL, name_event = NULL \
             WHERE $1::uuid IS NULL OR org_id = $1",
        )
        .bind::<Nullable<SqlUuid>, _>(scope.org)
        .execute(tx)
        .await?;
        Ok(())
    }
}

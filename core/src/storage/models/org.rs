//! Orgs: the tenants. Created by a SUPER_ADMIN, never by ingest.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use regex::Regex;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::storage::schema::orgs;
use crate::{Error, Result};

static SLUG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9][a-z0-9-]{1,62}$").unwrap_or_else(|e| panic!("slug regex: {e}"))
});

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrgStatus {
    Active,
    Suspended,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = orgs, check_for_backend(diesel::pg::Pg))]
pub struct Org {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub status: String,
    pub timezone: String,
    pub retention_days: i32,
    pub projection_epoch: i64,
    pub created_at: DateTime<Utc>,
}

/// The first day an org in time zone `tz` keeping `retention_days` keeps
/// on `now`'s day: today and the `retention_days - 1` days before.
pub fn first_kept_day(
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
    retention_days: i32,
) -> chrono::NaiveDate {
    let today = now.with_timezone(&tz).date_naive();
    today - chrono::Days::new(u64::try_from(retention_days.max(1)).unwrap_or(365))
        + chrono::Days::new(1)
}

/// The first instant of `day` in time zone `tz` (the earliest, when a
/// clock change repeats midnight; the next valid time when it skips it).
pub fn start_of_day(day: chrono::NaiveDate, tz: chrono_tz::Tz) -> DateTime<Utc> {
    use chrono::TimeZone;
    let mut at = day.and_time(chrono::NaiveTime::MIN);
    for _ in 0..48 {
        if let Some(t) = tz.from_local_datetime(&at).earliest() {
            return t.with_timezone(&Utc);
        }
        at += chrono::Duration::minutes(30);
    }
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

impl Org {
    /// The org's time zone (UTC when the stored name does not parse).
    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// The first day the org keeps: events of earlier days (in the org's
    /// time zone) are outside its retention.
    pub fn first_kept_day(&self, now: DateTime<Utc>) -> chrono::NaiveDate {
        first_kept_day(now, self.tz(), self.retention_days)
    }

    pub fn status(&self) -> OrgStatus {
        if self.status == "SUSPENDED" {
            OrgStatus::Suspended
        } else {
            OrgStatus::Active
        }
    }
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = orgs)]
pub struct NewOrg {
    pub slug: String,
    pub name: String,
    pub timezone: String,
}

impl NewOrg {
    /// Checks slug, name and time zone, with messages that say what to fix.
    pub fn validate(&self) -> Result<()> {
        if !SLUG.is_match(&self.slug) {
            return Err(Error::BadUserInput(format!(
                "slug {:?} is not valid: use 2 to 63 lowercase letters, digits or dashes, \
                 starting with a letter or digit",
                self.slug
            )));
        }
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(Error::BadUserInput(
                "name must be 1 to 200 characters long".into(),
            ));
        }
        if self.timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(Error::BadUserInput(format!(
                "timezone {:?} is not an IANA time zone name such as \"UTC\" or \"Europe/Berlin\"",
                self.timezone
            )));
        }
        Ok(())
    }
}

pub async fn by_slug(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<Option<Org>> {
    orgs::table
        .filter(orgs::slug.eq(slug))
        .select(Org::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn by_slugs(conn: &mut AsyncPgConnection, slugs: &[String]) -> QueryResult<Vec<Org>> {
    orgs::table
        .filter(orgs::slug.eq_any(slugs))
        .select(Org::as_select())
        .load(conn)
        .await
}

/// The id of each of `slugs` that names an org, by slug.
pub async fn ids_by_slug(
    conn: &mut AsyncPgConnection,
    slugs: &[String],
) -> QueryResult<std::collections::HashMap<String, Uuid>> {
    Ok(orgs::table
        .filter(orgs::slug.eq_any(slugs))
        .select((orgs::slug, orgs::id))
        .load::<(String, Uuid)>(conn)
        .await?
        .into_iter()
        .collect())
}

pub async fn all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Org>> {
    orgs::table
        .order(orgs::slug)
        .select(Org::as_select())
        .load(conn)
        .await
}

/// Creates an org; needs an owner connection. A taken slug is a
/// `BAD_USER_INPUT` error.
pub async fn create(conn: &mut AsyncPgConnection, new: &NewOrg) -> Result<Org> {
    new.validate()?;
    let new = NewOrg {
        name: new.name.trim().to_string(),
        ..new.clone()
    };
    diesel::insert_into(orgs::table)
        .values(&new)
        .returning(Org::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => Error::BadUserInput(format!(
                "an org with slug {:?} already exists; choose another slug",
                new.slug
            )),
            other => other.into(),
        })
}

/// Fields of an org that can change; `None` leaves a field as it is.
#[derive(AsChangeset, Debug, Clone, Default)]
#[diesel(table_name = orgs)]
pub struct OrgChanges {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub status: Option<String>,
    pub retention_days: Option<i32>,
}

/// The longest retention an org may have, in days (ten years).
pub const MAX_RETENTION_DAYS: i32 = 3_650;

impl OrgChanges {
    pub fn validate(&self) -> Result<()> {
        if let Some(name) = &self.name {
            if name.trim().is_empty() || name.chars().count() > 200 {
                return Err(Error::BadUserInput(
                    "name must be 1 to 200 characters long".into(),
                ));
            }
        }
        if let Some(tz) = &self.timezone {
            if tz.parse::<chrono_tz::Tz>().is_err() {
                return Err(Error::BadUserInput(format!(
                    "timezone {tz:?} is not an IANA time zone name such as \"UTC\" or \"Europe/Berlin\""
                )));
            }
        }
        if let Some(days) = self.retention_days {
            if !(1..=MAX_RETENTION_DAYS).contains(&days) {
                return Err(Error::BadUserInput(format!(
                    "retentionDays must be 1 to {MAX_RETENTION_DAYS}; got {days}"
                )));
            }
        }
        if let Some(status) = &self.status {
            if status != "ACTIVE" && status != "SUSPENDED" {
                return Err(Error::BadUserInput(format!(
                    "status {status:?} is not ACTIVE or SUSPENDED"
                )));
            }
        }
        Ok(())
    }

    fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.timezone.is_none()
            && self.status.is_none()
            && self.retention_days.is_none()
    }
}

/// Locks an org for a change; needs an owner connection in a transaction.
pub async fn lock_by_slug(conn: &mut AsyncPgConnection, slug: &str) -> Result<Org> {
    orgs::table
        .filter(orgs::slug.eq(slug))
        .select(Org::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no org with slug {slug:?}")))
}

/// Applies `changes` to the org `id`.
pub async fn update(conn: &mut AsyncPgConnection, id: Uuid, changes: &OrgChanges) -> Result<Org> {
    changes.validate()?;
    if changes.is_empty() {
        return Ok(orgs::table
            .find(id)
            .select(Org::as_select())
            .first(conn)
            .await?);
    }
    Ok(diesel::update(orgs::table.find(id))
        .set(changes)
        .returning(Org::as_returning())
        .get_result(conn)
        .await?)
}

/// The sum of every org's projection epoch: changes whenever any org's
/// read models change (the key of global cached figures).
pub async fn epoch_sum(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    use diesel::dsl::sum;
    let total: Option<rust_decimal::Decimal> = orgs::table
        .select(sum(orgs::projection_epoch))
        .first(conn)
        .await?;
    Ok(total.and_then(|d| i64::try_from(d).ok()).unwrap_or(0))
}

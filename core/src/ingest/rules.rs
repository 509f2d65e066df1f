//! The org rules of an event: the producer's scope, the org's existence,
//! its status and its retention.

use chrono::{DateTime, Utc};

use crate::auth::OrgScope;
use crate::event::EventInput;
use crate::storage::models::org::{Org, OrgStatus};

/// The org rules: the producer's scope first (so a scoped producer learns
/// nothing about orgs it may not write), then existence, then status.
pub(super) fn org_rule<'o>(
    scope: &OrgScope,
    org: Option<&'o Org>,
    event: &EventInput,
    now: DateTime<Utc>,
) -> std::result::Result<&'o Org, (&'static str, String)> {
    let slug = event.org.as_str();
    if !scope.allows(slug) {
        return Err((
            "FORBIDDEN_ORG",
            format!(
                "this ingest token may not write to org {slug:?}; ask for a token that lists it"
            ),
        ));
    }
    match org {
        None => Err((
            "UNKNOWN_ORG",
            format!("org {slug:?} does not exist; a SUPER_ADMIN creates it with createOrg"),
        )),
        Some(org) if org.status() == OrgStatus::Suspended => Err((
            "ORG_SUSPENDED",
            format!("org {slug:?} is suspended and accepts no events"),
        )),
        Some(org) => {
            let first = org.first_kept_day(now);
            let day = event.occurred_at.with_timezone(&org.tz()).date_naive();
            if day < first {
                return Err((
                    "OUTSIDE_RETENTION",
                    format!(
                        "occurredAt {} falls on {day}, before {first}: org {slug:?} keeps {} days \
                         of data and refuses older events",
                        event.occurred_at.to_rfc3339(),
                        org.retention_days
                    ),
                ));
            }
            Ok(org)
        }
    }
}

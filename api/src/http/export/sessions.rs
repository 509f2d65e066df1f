//! `/export/sessions.csv?org=SLUG[&from=&to=][&userId=][&handedOff=][&attribute=K:V]`:
//! the sessions the GraphQL `sessions` query lists, with the same filters
//! and permissions (without OTHERS_SESSIONS, only the asker's own), as
//! they stood when the export began.

use agentmon_core::auth::policy::{self, Capability};
use agentmon_core::auth::UserPrincipal;
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::session::{self, Cursor, SessionFilter, SessionRow};
use agentmon_core::{Error, Result};
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use std::sync::Arc;
use uuid::Uuid;

use super::download::{self, Download, Pages};
use super::params::Params;
use crate::http::state::AppState;

const HEADER: [&str; 24] = [
    "session_id",
    "user_id",
    "started_at",
    "last_event_at",
    "message_count",
    "run_count",
    "succeeded_runs",
    "failed_runs",
    "cancelled_runs",
    "cost_usd",
    "input_tokens",
    "output_tokens",
    "active_time_ms",
    "handed_off",
    "iterated_after_handoff",
    "attributes",
    "agent",
    "model_calls",
    "cache_read_tokens",
    "cache_creation_tokens",
    "tool_calls",
    "failed_tool_calls",
    "lines_added",
    "lines_removed",
];

pub async fn sessions_csv(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    download::serve(
        &state,
        &headers,
        &uri,
        Capability::OwnSessions,
        Params::session_filter,
        |viewer, org, filter| async move {
            let filter = visible(&viewer, &org, filter)?;
            let filename = format!("{}-sessions.csv", org.slug);
            let pages = Sessions {
                filter,
                as_of: None,
            };
            Ok(Download::csv(filename, &HEADER, pages))
        },
    )
    .await
}

/// The filter narrowed to what `viewer` may see: their own sessions only,
/// unless they may see others'.
fn visible(viewer: &UserPrincipal, org: &Org, mut filter: SessionFilter) -> Result<SessionFilter> {
    if !policy::allows(viewer, Capability::OthersSessions, Some(&org.slug)) {
        if filter.user_id.as_deref().is_some_and(|u| u != viewer.sub) {
            return Err(Error::Forbidden(
                "you may export only your own sessions".into(),
            ));
        }
        filter.user_id = Some(viewer.sub.clone());
    }
    Ok(filter)
}

/// The filtered sessions, as of the first page's time.
struct Sessions {
    filter: SessionFilter,
    /// When the first page was read; every page is read as of then.
    as_of: Option<DateTime<Utc>>,
}

impl Pages for Sessions {
    type Cursor = Cursor;
    type Row = SessionRow;
    type Record = Vec<String>;

    const NAME: &'static str = "session export";

    async fn page(
        &mut self,
        conn: &mut AsyncPgConnection,
        org_id: Uuid,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Vec<SessionRow>> {
        let as_of = match self.as_of {
            Some(at) => at,
            None => session::now(conn).await?,
        };
        self.as_of = Some(as_of);
        Ok(session::page(conn, org_id, &self.filter, after, as_of, limit).await?)
    }

    fn cursor(&self, last: &SessionRow) -> Cursor {
        Cursor {
            as_of: self.as_of.unwrap_or_default(),
            key_at: last.key_at,
            session_id: last.session_id.clone(),
        }
    }

    fn record(r: &SessionRow) -> Vec<String> {
        vec![
            r.session_id.clone(),
            r.user_id.clone(),
            r.started_at.to_rfc3339(),
            r.last_event_at.to_rfc3339(),
            r.message_count.to_string(),
            r.run_count.to_string(),
            r.succeeded_runs.to_string(),
            r.failed_runs.to_string(),
            r.cancelled_runs.to_string(),
            r.cost_usd.normalize().to_string(),
            r.input_tokens.to_string(),
            r.output_tokens.to_string(),
            r.active_time_ms.to_string(),
            r.handed_off.to_string(),
            r.iterated_after_handoff.to_string(),
            r.attributes.to_string(),
            r.agent.clone().unwrap_or_default(),
            r.model_calls.to_string(),
            r.cache_read_tokens.to_string(),
            r.cache_creation_tokens.to_string(),
            r.tool_calls.to_string(),
            r.failed_tool_calls.to_string(),
            r.lines_added.to_string(),
            r.lines_removed.to_string(),
        ]
    }
}

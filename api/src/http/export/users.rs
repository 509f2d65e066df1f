//! `/export/users.csv?org=SLUG&from=YYYY-MM-DD&to=YYYY-MM-DD`: users with
//! any event in the range, by runs then id, with their figures (the ratios
//! of [`Sums`](agentmon_core::metrics::kpis::Sums), empty without a
//! denominator).

use agentmon_core::auth::policy::Capability;
use agentmon_core::storage::models::rollup::{self, UserSums};
use agentmon_core::storage::models::user::{self, UserRow};
use agentmon_core::Result;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use std::sync::Arc;
use uuid::Uuid;

use super::download::{self, Download, Pages};
use crate::graphql::ranges::check_days;
use crate::http::state::AppState;

const HEADER: [&str; 12] = [
    "user_id",
    "email",
    "name",
    "sessions",
    "runs",
    "avg_runs_per_session",
    "avg_active_time_ms",
    "local_handoff_rate",
    "post_handoff_iteration_rate",
    "success_rate",
    "cost_usd",
    "total_tokens",
];

pub async fn users_csv(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    download::serve(
        &state,
        &headers,
        &uri,
        Capability::People,
        |params| check_days(params.date("from")?, params.date("to")?),
        |_, org, (from, to)| async move {
            let filename = format!("{}-users.csv", org.slug);
            Ok(Download::csv(filename, &HEADER, Users { from, to }))
        },
    )
    .await
}

/// The users active from `from` to `to` (days, both included).
struct Users {
    from: NaiveDate,
    to: NaiveDate,
}

impl Pages for Users {
    /// The runs and id of the last user of a page.
    type Cursor = (i64, String);
    /// A user's sums, with their profile when one is stored.
    type Row = (UserSums, Option<UserRow>);
    type Record = Vec<String>;

    const NAME: &'static str = "user export";

    async fn page(
        &mut self,
        conn: &mut AsyncPgConnection,
        org_id: Uuid,
        after: Option<&(i64, String)>,
        limit: i64,
    ) -> Result<Vec<Self::Row>> {
        let after = after.map(|(runs, user)| (*runs, user.as_str()));
        let order = "runs DESC, user_id ASC";
        let rows =
            rollup::user_sums(conn, org_id, None, self.from, self.to, order, after, limit).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.user_id.clone()).collect();
        let profiles = user::by_ids(conn, org_id, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let profile = profiles.iter().find(|p| p.user_id == r.user_id).cloned();
                (r, profile)
            })
            .collect())
    }

    fn cursor(&self, (last, _): &Self::Row) -> (i64, String) {
        (last.sums().runs, last.user_id.clone())
    }

    fn record((r, profile): &Self::Row) -> Vec<String> {
        let s = r.sums();
        vec![
            r.user_id.clone(),
            profile
                .as_ref()
                .and_then(|p| p.email.clone())
                .unwrap_or_default(),
            profile
                .as_ref()
                .and_then(|p| p.name.clone())
                .unwrap_or_default(),
            s.sessions.to_string(),
            s.runs.to_string(),
            ratio(s.avg_runs_per_session()),
            ratio(s.avg_active_time_ms()),
            ratio(s.local_handoff_rate()),
            ratio(s.post_handoff_iteration_rate()),
            ratio(s.success_rate()),
            s.cost_usd.normalize().to_string(),
            s.total_tokens().to_string(),
        ]
    }
}

/// A ratio as a cell: empty when it has no denominator.
fn ratio(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

//! `/healthz`: the process is up. `/readyz`: and its database answers.
//! `/metrics`: Prometheus figures and the projection queue's health.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use std::sync::Arc;

use agentmon_core::storage::db::replicas::ReplicaStatus;

use super::request::{authorization, bearer};
use super::state::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(state): State<Arc<AppState>>) -> (StatusCode, &'static str) {
    if state.db.ready().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

/// Prometheus text format; with a metrics token configured, only for a
/// request that carries it.
pub async fn metrics(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.metrics_token {
        let matches = bearer(authorization(&headers)).is_ok_and(|token| {
            use subtle::ConstantTimeEq;
            token
                .as_bytes()
                .ct_eq(expected.expose_secret().as_bytes())
                .into()
        });
        if !matches {
            return (
                StatusCode::UNAUTHORIZED,
                "send `Authorization: Bearer <AGENTMON_METRICS_TOKEN>`\n",
            )
                .into_response();
        }
    }
    let mut text = state.metrics.render();
    // Per org only behind the token: the labels name every org.
    text.push_str(&queue_health(&state.db, state.metrics_token.is_some()).await);
    text.push_str(&replica_health(&state.db, state.metrics_token.is_some()));
    text.into_response()
}

/// Each read replica's lag (NaN when unknown: down, or not measured yet)
/// and whether reads go to it, as last measured; nothing without replicas.
/// Replicas are labelled by `host:port/database` only behind the metrics
/// token (like the per-org figures); an open `/metrics` numbers them in the
/// order configured, so it does not show where the database servers are.
fn replica_health(db: &agentmon_core::storage::db::Db, named: bool) -> String {
    let Some(replicas) = db.replicas() else {
        return String::new();
    };
    replica_lines(&replicas.status(), replicas.max_lag(), named)
}

fn replica_lines(status: &[ReplicaStatus], max_lag: std::time::Duration, named: bool) -> String {
    use std::fmt::Write;
    let label = |i: usize, r: &ReplicaStatus| {
        if named {
            r.name.clone()
        } else {
            (i + 1).to_string()
        }
    };
    let mut text = String::from(
        "# HELP agentmon_db_replica_lag_seconds How far a read replica is behind the primary, as last measured (NaN: unknown).\n\
         # TYPE agentmon_db_replica_lag_seconds gauge\n",
    );
    for (i, r) in status.iter().enumerate() {
        let lag = r
            .lag_seconds
            .map_or("NaN".to_string(), |s| format!("{s:.3}"));
        let _ = writeln!(
            text,
            "agentmon_db_replica_lag_seconds{{replica=\"{}\"}} {lag}",
            label(i, r)
        );
    }
    text.push_str(
        "# HELP agentmon_db_replica_in_use 1 when reads go to the replica; 0 when it is skipped (down, or further behind than allowed) and they go to the primary.\n\
         # TYPE agentmon_db_replica_in_use gauge\n",
    );
    for (i, r) in status.iter().enumerate() {
        let _ = writeln!(
            text,
            "agentmon_db_replica_in_use{{replica=\"{}\"}} {}",
            label(i, r),
            u8::from(r.usable)
        );
    }
    let _ = writeln!(
        text,
        "# HELP agentmon_db_replica_max_lag_seconds The lag beyond which a replica is skipped.\n\
         # TYPE agentmon_db_replica_max_lag_seconds gauge\n\
         agentmon_db_replica_max_lag_seconds {}",
        max_lag.as_secs_f64()
    );
    text
}

/// Per org (or summed over orgs when `per_org` is off): events waiting for
/// projection, the age of the oldest (the projection lag) and dead letters,
/// read at scrape time.
async fn queue_health(db: &agentmon_core::storage::db::Db, per_org: bool) -> String {
    use diesel::sql_types::{BigInt, Double, Text};
    use diesel_async::RunQueryDsl;
    use std::fmt::Write;
    #[derive(diesel::QueryableByName)]
    struct Health {
        #[diesel(sql_type = Text)]
        slug: String,
        #[diesel(sql_type = BigInt)]
        queued: i64,
        #[diesel(sql_type = Double)]
        oldest_seconds: f64,
        #[diesel(sql_type = BigInt)]
        dead_letters: i64,
    }
    let rows: Result<Vec<Health>, agentmon_core::Error> = async {
        let mut conn = db.app().await?;
        Ok(diesel::sql_query("SELECT * FROM platform_queue_health()")
            .load(&mut conn)
            .await?)
    }
    .await;
    let rows = match rows {
        Ok(rows) if per_org => rows,
        Ok(rows) => vec![Health {
            slug: String::new(),
            queued: rows.iter().map(|r| r.queued).sum(),
            oldest_seconds: rows.iter().map(|r| r.oldest_seconds).fold(0.0, f64::max),
            dead_letters: rows.iter().map(|r| r.dead_letters).sum(),
        }],
        Err(e) => return format!("# queue health unavailable: {}\n", e.code()),
    };
    let mut out = String::new();
    /// Name, type, help, and the value of one org's row.
    type Family = (
        &'static str,
        &'static str,
        &'static str,
        fn(&Health) -> String,
    );
    let families: [Family; 3] = [
        (
            "agentmon_queued_events",
            "gauge",
            "Events waiting for projection (per org when AGENTMON_METRICS_TOKEN is set).",
            |h| h.queued.to_string(),
        ),
        (
            "agentmon_projection_lag_seconds",
            "gauge",
            "Age of the oldest event waiting for projection, 0 when none waits (per org when AGENTMON_METRICS_TOKEN is set).",
            |h| format!("{:.3}", h.oldest_seconds),
        ),
        (
            "agentmon_dead_letters",
            "gauge",
            "Events the projectors gave up on (per org when AGENTMON_METRICS_TOKEN is set).",
            |h| h.dead_letters.to_string(),
        ),
    ];
    for (name, kind, help, value) in families {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for row in &rows {
            if per_org {
                let _ = writeln!(out, "{name}{{org=\"{}\"}} {}", row.slug, value(row));
            } else {
                let _ = writeln!(out, "{name} {}", value(row));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standbys() -> Vec<ReplicaStatus> {
        vec![
            ReplicaStatus {
                name: "standby-1.internal:5432/agentmon".into(),
                usable: true,
                lag_seconds: Some(0.25),
            },
            ReplicaStatus {
                name: "standby-2.internal:6432/agentmon".into(),
                usable: false,
                lag_seconds: None,
            },
        ]
    }

    #[test]
    fn an_open_metrics_page_numbers_the_replicas_instead_of_naming_their_hosts() {
        let text = replica_lines(&standbys(), std::time::Duration::from_secs(5), false);
        assert!(!text.contains("internal"), "{text}");
        assert!(
            text.contains("agentmon_db_replica_lag_seconds{replica=\"1\"} 0.250\n"),
            "{text}"
        );
        assert!(
            text.contains("agentmon_db_replica_lag_seconds{replica=\"2\"} NaN\n"),
            "{text}"
        );
        assert!(
            text.contains("agentmon_db_replica_in_use{replica=\"1\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("agentmon_db_replica_in_use{replica=\"2\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("agentmon_db_replica_max_lag_seconds 5\n"),
            "{text}"
        );
    }

    #[test]
    fn behind_the_metrics_token_the_replicas_are_named_by_host_port_and_database() {
        let text = replica_lines(&standbys(), std::time::Duration::from_secs(5), true);
        assert!(
            text.contains(
                "agentmon_db_replica_in_use{replica=\"standby-1.internal:5432/agentmon\"} 1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("agentmon_db_replica_lag_seconds{replica=\"standby-2.internal:6432/agentmon\"} NaN\n"),
            "{text}"
        );
    }
}

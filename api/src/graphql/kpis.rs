//! `Kpis`, `FailureCount` and `DailyPoint`.

use agentmon_core::metrics::kpis::Kpis;
use async_graphql::{Object, SimpleObject};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::event_input::ErrorCategory;
use super::scalars::Date;

pub struct KpisObject(pub Kpis);

fn int(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// An exact decimal string: "0", "12.5", "0.000123".
pub fn money(d: Decimal) -> String {
    d.normalize().to_string()
}

#[Object(name = "Kpis")]
impl KpisObject {
    async fn active_users(&self) -> i32 {
        int(self.0.active_users)
    }
    async fn sessions(&self) -> i32 {
        int(self.0.sessions)
    }
    /// Finished runs (SUCCEEDED + FAILED + CANCELLED).
    async fn runs(&self) -> i32 {
        int(self.0.runs)
    }
    async fn succeeded_runs(&self) -> i32 {
        int(self.0.succeeded_runs)
    }
    async fn failed_runs(&self) -> i32 {
        int(self.0.failed_runs)
    }
    async fn cancelled_runs(&self) -> i32 {
        int(self.0.cancelled_runs)
    }
    /// Null when no SUCCEEDED or FAILED run.
    async fn success_rate(&self) -> Option<f64> {
        self.0.success_rate
    }
    /// Decimal string, exact.
    async fn cost_usd(&self) -> String {
        money(self.0.cost_usd)
    }
    /// Cost of the range divided by its succeeded runs, rounded to 6
    /// decimals; null when no run succeeded.
    async fn cost_per_successful_run(&self) -> Option<String> {
        self.0.cost_per_successful_run().map(money)
    }
    /// Float so that sums past 2^31 stay exact up to 2^53.
    async fn input_tokens(&self) -> f64 {
        self.0.input_tokens as f64
    }
    async fn output_tokens(&self) -> f64 {
        self.0.output_tokens as f64
    }
    async fn avg_runs_per_session(&self) -> Option<f64> {
        self.0.avg_runs_per_session
    }
    async fn avg_active_time_ms(&self) -> Option<f64> {
        self.0.avg_active_time_ms
    }
    async fn local_handoff_rate(&self) -> Option<f64> {
        self.0.local_handoff_rate
    }
    async fn post_handoff_iteration_rate(&self) -> Option<f64> {
        self.0.post_handoff_iteration_rate
    }
    async fn duration_p50_ms(&self) -> Option<f64> {
        self.0.duration_p50_ms
    }
    async fn duration_p95_ms(&self) -> Option<f64> {
        self.0.duration_p95_ms
    }
    async fn duration_p99_ms(&self) -> Option<f64> {
        self.0.duration_p99_ms
    }
    /// Failed runs by category, all four in enum order, zeros included.
    async fn errors_by_category(&self) -> Vec<FailureCount> {
        [
            ErrorCategory::Tool,
            ErrorCategory::Model,
            ErrorCategory::Timeout,
            ErrorCategory::Other,
        ]
        .into_iter()
        .zip(self.0.failed_by_category)
        .map(|(category, count)| FailureCount {
            category,
            count: int(count),
        })
        .collect()
    }
}

#[derive(SimpleObject)]
pub struct FailureCount {
    pub category: ErrorCategory,
    pub count: i32,
}

#[derive(SimpleObject)]
pub struct DailyPoint {
    pub date: Date,
    pub kpis: KpisObject,
}

pub fn daily_points(days: Vec<(NaiveDate, Kpis)>) -> Vec<DailyPoint> {
    days.into_iter()
        .map(|(d, k)| DailyPoint {
            date: Date(d),
            kpis: KpisObject(k),
        })
        .collect()
}

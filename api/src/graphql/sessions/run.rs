//! `Run`: one agent run of a session, with its outcome and usage.

use agentmon_core::event::{ErrorCategory, RunStatus};
use agentmon_core::storage::models::run::RunRow;
use async_graphql::Object;
use chrono::{DateTime, Utc};

use crate::graphql::event_input as gql;
use crate::graphql::kpis::money;

pub struct RunObject(pub RunRow);

#[Object(name = "Run")]
impl RunObject {
    async fn id(&self) -> &str {
        &self.0.run_id
    }
    async fn status(&self) -> gql::RunStatus {
        RunStatus::parse(&self.0.status)
            .unwrap_or(RunStatus::Running)
            .into()
    }
    async fn model(&self) -> Option<&str> {
        self.0.model.as_deref()
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    async fn duration_ms(&self) -> Option<f64> {
        self.0.duration_ms.map(|d| d as f64)
    }
    async fn error_category(&self) -> Option<gql::ErrorCategory> {
        ErrorCategory::parse(self.0.error_category.as_deref()?).map(Into::into)
    }
    async fn error_message(&self) -> Option<&str> {
        self.0.error_message.as_deref()
    }
    async fn input_tokens(&self) -> f64 {
        self.0.input_tokens as f64
    }
    async fn output_tokens(&self) -> f64 {
        self.0.output_tokens as f64
    }
    /// From the run's model calls when it has any, else as its finish reported.
    async fn cost_usd(&self) -> String {
        money(self.0.cost_usd)
    }
    async fn model_calls(&self) -> i32 {
        self.0.model_calls
    }
    async fn cache_read_tokens(&self) -> f64 {
        self.0.cache_read_tokens as f64
    }
    async fn cache_creation_tokens(&self) -> f64 {
        self.0.cache_creation_tokens as f64
    }
    async fn tool_calls(&self) -> i32 {
        self.0.tool_calls
    }
    /// ESTIMATED when any part was priced by agentmon, UNPRICED when any
    /// part could not be.
    async fn cost_source(&self) -> gql::CostSource {
        match self.0.cost_source.as_str() {
            "ESTIMATED" => gql::CostSource::Estimated,
            "UNPRICED" => gql::CostSource::Unpriced,
            _ => gql::CostSource::Reported,
        }
    }
}

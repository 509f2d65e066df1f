//! Builders for producer events, as JSON the way a producer sends them.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

/// An event of `event_type` for org `org`, session `s1` and user `u1`,
/// 2026-11-20T10:00Z, with a fresh eventId. Adjust with the builder methods.
pub fn event(org: &str, event_type: &str) -> EventBuilder {
    EventBuilder(json!({
        "eventId": Uuid::new_v4(),
        "org": org,
        "type": event_type,
        "occurredAt": "2026-11-20T10:00:00Z",
        "sessionId": "s1",
        "userId": "u1",
    }))
}

#[derive(Clone, Debug)]
pub struct EventBuilder(pub Value);

impl EventBuilder {
    pub fn set(mut self, key: &str, value: Value) -> Self {
        if let Some(object) = self.0.as_object_mut() {
            match value {
                Value::Null => object.remove(key),
                value => object.insert(key.into(), value),
            };
        }
        self
    }
    pub fn id(self, id: Uuid) -> Self {
        self.set("eventId", json!(id))
    }
    pub fn session(self, session: &str) -> Self {
        self.set("sessionId", json!(session))
    }
    pub fn user(self, user: &str) -> Self {
        self.set("userId", json!(user))
    }
    pub fn run(self, run_id: &str) -> Self {
        self.set("runId", json!(run_id))
    }
    pub fn at(self, at: DateTime<Utc>) -> Self {
        self.set("occurredAt", json!(at.to_rfc3339()))
    }
    pub fn build(self) -> Value {
        self.0
    }
}

//! What every agentmon event made from a record needs, read the same way
//! for every agent (SPEC section 11): the org, the session, the user and
//! their email, the agent, the session attributes, the time, and an event
//! id derived from what identifies the record, so that a resent export is
//! a duplicate.

use agentmon_core::event::{EventInput, EventType, UserProfileInput};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::attrs::Attrs;

/// The namespace of agentmon's record-derived event ids (UUIDv5).
const NAMESPACE: Uuid = Uuid::from_u128(0x6167_656e_746d_6f6e_2d6f_746c_702d_0001);

/// Keys that say where the telemetry comes from rather than what the
/// session is about: not session attributes.
const NOT_SESSION: [&str; 12] = [
    "service.",
    "host.",
    "os.",
    "process.",
    "telemetry.",
    "terminal.",
    "event.",
    "session.id",
    "user.",
    "enduser.",
    "agentmon.",
    "otel.",
];

/// Where a batch's records go: the org of the key, or of each resource's
/// `agentmon.org` for keys without one.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub org: Option<&'a str>,
}

/// A record's place: everything an event of it carries besides its kind.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub org: String,
    pub session: String,
    pub user: String,
    pub email: Option<String>,
    pub agent: Option<String>,
    pub at: DateTime<Utc>,
    /// The session attributes this record names.
    pub attributes: Map<String, Value>,
    /// What identifies the record, for its events' ids.
    pub identity: String,
}

/// Why a record could not be placed in a session.
pub type Unplaced = &'static str;

/// What every record of one resource shares, read once per resource: its
/// attributes, the session attributes they make and the agent.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub attrs: Attrs,
    /// Within what an event's attributes may hold: 64 keys of at most 128
    /// characters, text of at most 1,024.
    attributes: Map<String, Value>,
    agent: Option<String>,
    /// What identifies the resource (a hash of its attributes), part of
    /// every record's identity: two resources may send records alike in all
    /// else (sessions named only on the resource, one instant), and those
    /// are different records, not one sent twice.
    key: Uuid,
}

impl Origin {
    pub fn of(resource: Attrs) -> Origin {
        // Within what an attribute may hold, like the others: a longer
        // name, or one with a NUL, would make the event carrying it refused.
        let agent = resource
            .str("service.name")
            .map(|a| {
                a.chars()
                    .filter(|c| *c != '\0')
                    .take(1_024)
                    .collect::<String>()
            })
            .filter(|a| !a.is_empty());
        let mut attributes: Map<String, Value> = resource
            .0
            .iter()
            .filter(|(k, v)| {
                is_session_attribute(k)
                    && is_scalar(v)
                    && !k.is_empty()
                    && k.chars().count() <= 128
                    && !k.contains('\0')
            })
            .take(63)
            .map(|(k, v)| match v {
                Value::String(s) => (
                    k.clone(),
                    Value::String(s.chars().filter(|c| *c != '\0').take(1_024).collect()),
                ),
                v => (k.clone(), v.clone()),
            })
            .collect();
        if let Some(agent) = &agent {
            attributes.insert("agent".into(), Value::String(agent.clone()));
        }
        let key = Uuid::new_v5(&NAMESPACE, identity(&[], &resource).as_bytes());
        Origin {
            attrs: resource,
            attributes,
            agent,
            key,
        }
    }
}

impl Envelope {
    /// Reads a record's place from its own attributes, then its resource's.
    /// `times` are the record's time and observed time in Unix nanoseconds
    /// (0: absent).
    pub fn read(
        target: Target<'_>,
        origin: &Origin,
        record: &Attrs,
        times: [u64; 2],
        identity: String,
    ) -> Result<Envelope, Unplaced> {
        let first = |keys: &[&str]| record.first(keys).or_else(|| origin.attrs.first(keys));
        let org = target
            .org
            .map(str::to_string)
            .or_else(|| first(&["agentmon.org"]))
            .ok_or("no org: use a key of one org, or set the resource attribute agentmon.org")?;
        let session = first(&["session.id", "gen_ai.conversation.id", "conversation.id"]).ok_or(
            "no session: the record has no session.id, gen_ai.conversation.id or conversation.id",
        )?;
        let email = first(&["user.email"]).map(|e| clip(&e));
        let user = first(&[
            "enduser.id",
            "user.email",
            "user.account_uuid",
            "user.account_id",
            "user.id",
        ])
        .unwrap_or_else(|| "unknown".into());
        let at = times
            .into_iter()
            .find(|t| *t > 0)
            .map(from_nanos)
            .or_else(|| {
                first(&["event.timestamp"])
                    .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                    .map(|t| t.with_timezone(&Utc))
            })
            .ok_or(
                "no time: the record has no timeUnixNano, observedTimeUnixNano or event.timestamp",
            )?;
        Ok(Envelope {
            org,
            session: clip(&session),
            user: clip(&user),
            email,
            agent: origin.agent.clone(),
            at,
            attributes: origin.attributes.clone(),
            identity: format!("{}\u{1f}{identity}", origin.key.simple()),
        })
    }

    /// An event of `kind` from this record; `part` tells apart the events
    /// one record makes.
    pub fn event(&self, kind: EventType, part: &str) -> EventInput {
        EventInput {
            event_id: Uuid::new_v5(
                &NAMESPACE,
                format!("{}\u{1f}{part}", self.identity).as_bytes(),
            ),
            org: self.org.clone(),
            event_type: kind,
            occurred_at: self.at,
            session_id: self.session.clone(),
            user_id: self.user.clone(),
            run_id: None,
            message: None,
            run: None,
            handoff: None,
            attributes: (!self.attributes.is_empty())
                .then(|| Value::Object(self.attributes.clone())),
            user: self.email.as_ref().map(|email| UserProfileInput {
                email: Some(email.clone()),
                name: None,
            }),
            model_call: None,
            tool: None,
            code: None,
        }
    }
}

fn is_session_attribute(key: &str) -> bool {
    !NOT_SESSION.iter().any(|p| {
        if p.ends_with('.') {
            key.starts_with(p)
        } else {
            key == *p
        }
    })
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// Ids longer than agentmon takes are cut (on a character boundary), and
/// NUL characters, which cannot be stored, dropped.
pub fn clip(id: &str) -> String {
    id.chars().filter(|c| *c != '\0').take(256).collect()
}

pub fn from_nanos(nanos: u64) -> DateTime<Utc> {
    let secs = (nanos / 1_000_000_000) as i64;
    let sub = (nanos % 1_000_000_000) as u32;
    Utc.timestamp_opt(secs, sub).single().unwrap_or_default()
}

/// A canonical text of a record: its scope, times, body and attributes,
/// the same for the same record however it was encoded.
pub fn identity(parts: &[&str], attrs: &Attrs) -> String {
    let mut text = parts.join("\u{1f}");
    text.push('\u{1f}');
    text.push_str(&Value::Object(attrs.0.clone().into_iter().collect()).to_string());
    text
}

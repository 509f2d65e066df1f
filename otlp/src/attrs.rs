//! OpenTelemetry attributes as the mappings read them: every scalar by
//! key, numbers also when an exporter sent them as strings (Claude Code and
//! Codex send many figures as text).

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use serde_json::Value;

/// The scalar attributes of a resource, record, span or data point.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attrs(pub BTreeMap<String, Value>);

/// An attribute value as JSON: arrays and maps as JSON text-free values.
pub fn value(v: &AnyValue) -> Value {
    match &v.value {
        Some(any_value::Value::StringValue(s)) => Value::String(s.clone()),
        Some(any_value::Value::BoolValue(b)) => Value::Bool(*b),
        Some(any_value::Value::IntValue(i)) => Value::from(*i),
        Some(any_value::Value::DoubleValue(d)) => Value::from(*d),
        Some(any_value::Value::BytesValue(b)) => Value::String(format!("{b:02x?}")),
        Some(any_value::Value::ArrayValue(a)) => Value::Array(a.values.iter().map(value).collect()),
        Some(any_value::Value::KvlistValue(kv)) => Value::Object(
            kv.values
                .iter()
                .map(|k| {
                    (
                        k.key.clone(),
                        k.value.as_ref().map(value).unwrap_or(Value::Null),
                    )
                })
                .collect(),
        ),
        // Newer value kinds (string-table references) carry nothing to read.
        #[allow(unreachable_patterns)]
        _ => Value::Null,
    }
}

impl Attrs {
    pub fn of(kvs: &[KeyValue]) -> Attrs {
        Attrs(
            kvs.iter()
                .map(|kv| {
                    let v = kv.value.as_ref().map(value).unwrap_or(Value::Null);
                    (kv.key.clone(), v)
                })
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// A scalar as text; `None` for a missing or empty value.
    pub fn str(&self, key: &str) -> Option<String> {
        let text = match self.get(key)? {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        };
        (!text.trim().is_empty()).then_some(text)
    }

    /// The first of `keys` that holds a value.
    pub fn first(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| self.str(k))
    }

    /// A whole number, from an integer, a whole double or a numeric string.
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.get(key)? {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A count for a 32-bit field: negative or oversized values are dropped.
    pub fn count(&self, key: &str) -> Option<i32> {
        self.int(key)
            .and_then(|n| i32::try_from(n).ok())
            .filter(|n| *n >= 0)
    }

    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
}

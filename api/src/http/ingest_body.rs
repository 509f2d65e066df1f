//! An `ingestEvents` call's events read straight from the POST body into
//! the input types. The general path turns a 1,000-event variable into
//! GraphQL values, checks every value against the input types, then
//! converts the values into the types: about a third of the server's work
//! on such a call. Here the variable is deserialized into the input types
//! in one pass, and the GraphQL request carries an empty list in its place.
//!
//! Only a body this path reads exactly as the general path would is taken:
//! one mutation whose only root field is `ingestEvents(events: $var)` with
//! `$var: [EventInput!]!`, no directives, no request extensions, and a
//! variable that deserializes with nothing unknown, missing or coerced.
//! Anything else (a lone object for the list, an `Int` sent as `5.0`, an
//! unknown field) goes the general path, which accepts what GraphQL allows
//! and words the errors.

use std::collections::HashMap;
use std::sync::Mutex;

use async_graphql::parser::types::{BaseType, OperationType, Selection, Type};
use async_graphql::{Name, Request, Value, Variables};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::graphql::event_input::EventInput;

/// The events of the request, read from its body; the resolver takes them.
pub struct ReadEvents(Mutex<Option<Vec<EventInput>>>);

impl ReadEvents {
    /// The events, once.
    pub fn take(&self) -> Option<Vec<EventInput>> {
        self.0.lock().ok()?.take()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    query: String,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default, borrow)]
    variables: Option<&'a RawValue>,
    #[serde(default, borrow)]
    extensions: Option<&'a RawValue>,
}

/// The request of `body` with its events already read, when it is an
/// `ingestEvents` call this path reads exactly; `None` otherwise.
pub fn read(body: &[u8]) -> Option<Request> {
    let (request, events) = read_parts(body)?;
    Some(request.data(ReadEvents(Mutex::new(Some(events)))))
}

/// The request (an empty list for the events) and the events.
fn read_parts(body: &[u8]) -> Option<(Request, Vec<EventInput>)> {
    // Every other request is parsed once, by the general path only.
    const FIELD: &[u8] = b"ingestEvents";
    if !body.windows(FIELD.len()).any(|w| w == FIELD) {
        return None;
    }
    let body: Body = serde_json::from_slice(body).ok()?;
    if body
        .extensions
        .is_some_and(|e| e.get() != "null" && e.get() != "{}")
    {
        return None;
    }
    let variable = events_variable(&body.query, body.operation_name.as_deref())?;
    let mut values: HashMap<&str, &RawValue> = serde_json::from_str(body.variables?.get()).ok()?;
    let events = values.remove(variable.as_str())?.get();
    if arrays_inside(events) {
        return None;
    }
    let events: Vec<EventInput> = serde_json::from_str(events).ok()?;
    let mut variables = serde_json::Map::new();
    for (name, value) in values {
        variables.insert(name.to_string(), serde_json::from_str(value.get()).ok()?);
    }
    let mut variables = Variables::from_json(serde_json::Value::Object(variables));
    variables.insert(Name::new(&variable), Value::List(Vec::new()));
    let mut request = Request::new(body.query).variables(variables);
    if let Some(name) = body.operation_name {
        request = request.operation_name(name);
    }
    Some((request, events))
}

/// Whether an array stands anywhere inside the outer list of `text` (a
/// JSON value), outside strings. serde would read an array as an input
/// object's fields in order, which GraphQL refuses; no field of an event
/// is a list (`attributes` holding one goes the general path, and the
/// rules refuse it there).
fn arrays_inside(text: &str) -> bool {
    let mut bytes = text.trim_start().bytes();
    if bytes.next() != Some(b'[') {
        return true;
    }
    let (mut in_string, mut escaped) = (false, false);
    for b in bytes {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (false, _, b'"') => in_string = true,
            (false, _, b'[') => return true,
            _ => {}
        }
    }
    false
}

/// The variable that `ingestEvents`'s events come from, when the selected
/// operation is a mutation of that one field and nothing else.
fn events_variable(query: &str, operation: Option<&str>) -> Option<String> {
    let document = async_graphql::parser::parse_query(query).ok()?;
    let mut operations = document.operations.iter();
    let op = match operation {
        Some(wanted) => {
            operations
                .find(|(name, _)| name.is_some_and(|n| n.as_str() == wanted))?
                .1
        }
        None => {
            let (_, op) = operations.next()?;
            if operations.next().is_some() {
                return None;
            }
            op
        }
    };
    let op = &op.node;
    if op.ty != OperationType::Mutation || !op.directives.is_empty() {
        return None;
    }
    let [item] = op.selection_set.node.items.as_slice() else {
        return None;
    };
    let Selection::Field(field) = &item.node else {
        return None;
    };
    let field = &field.node;
    let [(argument, value)] = field.arguments.as_slice() else {
        return None;
    };
    let async_graphql_value::Value::Variable(variable) = &value.node else {
        return None;
    };
    if field.name.node != "ingestEvents"
        || argument.node != "events"
        || !field.directives.is_empty()
    {
        return None;
    }
    let definition = op
        .variable_definitions
        .iter()
        .find(|d| d.node.name.node == *variable)?;
    let list_of_events = Type {
        base: BaseType::List(Box::new(Type {
            base: BaseType::Named(Name::new("EventInput")),
            nullable: false,
        })),
        nullable: false,
    };
    (definition.node.var_type.node == list_of_events && definition.node.directives.is_empty())
        .then(|| variable.to_string())
}

#[cfg(test)]
#[path = "ingest_body_tests.rs"]
mod tests;

//! Row structs and the queries on them. Callers open transactions; these
//! functions take a connection.

pub mod alert_channel;
pub mod alert_notification;
pub mod alert_rule;
pub mod api_key;
pub mod audit;
pub mod breakdown;
pub mod cost_trend;
pub mod dead_letter;
pub mod erasure;
pub mod event;
pub mod hourly;
pub mod job;
pub mod member;
pub mod org;
pub mod price;
pub mod rollup;
pub mod run;
pub mod session;
pub mod session_order;
mod sql;
pub mod team;
pub mod tool;
pub mod user;

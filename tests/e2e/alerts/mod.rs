//! Alerts: channels (webhook and Slack) with a real HTTP receiver on a
//! loopback port.

mod budgets;
mod channels;
mod receiver;

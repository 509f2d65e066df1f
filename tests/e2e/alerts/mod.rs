//! Alerts: channels (webhook and Slack) with a real HTTP receiver on a
//! loopback port, budgets and rules evaluated and delivered, live
//! notifications, and real worker processes (two at once, one killed).

mod budgets;
mod channels;
mod live;
mod receiver;
mod value;
mod workers;

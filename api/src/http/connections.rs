//! What one user of an org holds open on one server, counted per user key
//! (the org and the token's subject: the same subject in another org is
//! another user): live websocket connections, at most
//! [`MAX_CONNECTIONS_PER_USER`], and streaming exports, at most
//! [`MAX_EXPORTS_PER_USER`], so that no user takes what other users and
//! other orgs need.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use agentmon_core::Error;

/// Open websocket connections one user may hold on one server.
pub const MAX_CONNECTIONS_PER_USER: usize = 10;
/// Exports one user may stream from one server at once.
pub const MAX_EXPORTS_PER_USER: usize = 2;

/// What users hold open, at most `MAX` each, shared by the server.
#[derive(Clone, Default)]
pub struct PerUser<const MAX: usize>(Arc<Mutex<HashMap<String, usize>>>);

/// Open websocket connections per user.
pub type OpenConnections = PerUser<MAX_CONNECTIONS_PER_USER>;
/// Streaming exports per user.
pub type OpenExports = PerUser<MAX_EXPORTS_PER_USER>;

/// Counts one held thing while it is open.
pub struct Held(Arc<Mutex<HashMap<String, usize>>>, String);

impl Drop for Held {
    fn drop(&mut self) {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.1);
            }
        }
    }
}

impl<const MAX: usize> PerUser<MAX> {
    /// One more for `user` (a user key), counted until the [`Held`] drops;
    /// `RATE_LIMITED` saying "at most MAX {what}" when they hold the most.
    pub fn hold(&self, user: &str, what: &str) -> Result<Held, Error> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(user.to_string()).or_default();
        if *n >= MAX {
            return Err(Error::RateLimited {
                message: format!("at most {MAX} {what}"),
                retry_after_seconds: 5,
            });
        }
        *n += 1;
        Ok(Held(self.0.clone(), user.to_string()))
    }
}

//! The open websocket connections of one server, counted per user of an
//! org (the org and the token's subject: the same subject in another org
//! is another user), so that a user holds at most
//! [`MAX_CONNECTIONS_PER_USER`] at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use agentmon_core::Error;

/// Open websocket connections one user may hold on one server.
pub const MAX_CONNECTIONS_PER_USER: usize = 10;

/// Open connections per user key (`org:subject`), shared by the server's
/// connections.
#[derive(Clone, Default)]
pub struct OpenConnections(Arc<Mutex<HashMap<String, usize>>>);

/// Counts a connection while it is open.
pub struct Held(OpenConnections, String);

impl Drop for Held {
    fn drop(&mut self) {
        let mut open = (self.0).0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.1);
            }
        }
    }
}

impl OpenConnections {
    /// One more connection of `user`, counted until the [`Held`] drops;
    /// `RATE_LIMITED` when they hold the most already.
    pub fn hold(&self, user: &str) -> Result<Held, Error> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(user.to_string()).or_default();
        if *n >= MAX_CONNECTIONS_PER_USER {
            return Err(Error::RateLimited {
                message: format!(
                    "at most {MAX_CONNECTIONS_PER_USER} live connections per user; close one first"
                ),
                retry_after_seconds: 5,
            });
        }
        *n += 1;
        Ok(Held(self.clone(), user.to_string()))
    }
}

//! The plugin contract of a projector.

use std::collections::{BTreeSet, HashMap};

use agentmon_core::storage::models::event::StoredEvent;
use agentmon_core::Result;
use async_trait::async_trait;
use chrono_tz::Tz;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::fold::SessionFold;

/// What a worker hands the projectors: the events being projected and the
/// fold of every session they touch, computed from all of that session's
/// stored events.
pub struct Batch {
    pub events: Vec<StoredEvent>,
    pub timezones: HashMap<Uuid, Tz>,
    /// Each org's first kept day: rollups hold nothing earlier.
    pub cutoffs: HashMap<Uuid, chrono::NaiveDate>,
    pub sessions: Vec<SessionFold>,
}

/// Which orgs and sessions a batch changed (for cache epochs and live updates).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    pub orgs: BTreeSet<Uuid>,
    pub sessions: BTreeSet<(Uuid, String)>,
    /// (org, user) of the batch's events: the alert rules on a user no
    /// event touched need no evaluation after it.
    pub users: BTreeSet<(Uuid, String)>,
}

impl Changes {
    pub fn of_batch(batch: &Batch) -> Changes {
        Changes {
            orgs: batch.sessions.iter().map(|s| s.org_id).collect(),
            sessions: batch
                .sessions
                .iter()
                .map(|s| (s.org_id, s.session_id.clone()))
                .collect(),
            users: batch
                .events
                .iter()
                .map(|e| (e.org_id, e.user_id.clone()))
                .collect(),
        }
    }

    pub fn merge(&mut self, other: Changes) {
        self.orgs.extend(other.orgs);
        self.sessions.extend(other.sessions);
        self.users.extend(other.users);
    }
}

/// What a replay rebuilds: one org, or every org.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayScope {
    pub org: Option<Uuid>,
}

#[async_trait]
pub trait Projector: Send + Sync {
    fn name(&self) -> &'static str;

    /// Whether an event can change what this projector derives.
    fn interested_in(&self, _event: &StoredEvent) -> bool {
        true
    }

    /// Applies a batch inside the worker's transaction. Idempotent per
    /// event, and the same whatever the order of the events.
    async fn apply(&self, tx: &mut AsyncPgConnection, batch: &Batch) -> Result<Changes>;

    /// Forgets what this projector derived for a scope, before a replay.
    async fn reset(&self, tx: &mut AsyncPgConnection, scope: &ReplayScope) -> Result<()>;

    /// Takes whole sessions out of what this projector keeps beyond their
    /// own rows (shares of sums), before their rows and events are deleted
    /// (an erasure, retention). The caller holds the sessions.
    async fn remove_sessions(
        &self,
        _tx: &mut AsyncPgConnection,
        _org: Uuid,
        _sessions: &[String],
    ) -> Result<()> {
        Ok(())
    }

    /// Forgets the org's days before `cutoff` (its first kept day, which
    /// begins at `cutoff_at`), including what sessions begun earlier
    /// remember of them (retention).
    async fn forget_days(
        &self,
        _tx: &mut AsyncPgConnection,
        _org: Uuid,
        _cutoff: chrono::NaiveDate,
        _cutoff_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        Ok(())
    }
}

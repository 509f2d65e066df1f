//! Monthly partitions of `events`: made on demand before an insert needs
//! them, remembered so that each month is checked once per process.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, Utc};
use diesel::sql_types::Timestamptz;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::prepared;

#[derive(Clone, Default)]
pub struct KnownPartitions(Arc<Mutex<HashSet<(i32, u32)>>>);

impl KnownPartitions {
    /// Makes sure a partition exists for the month of every instant given.
    pub async fn ensure(
        &self,
        conn: &mut AsyncPgConnection,
        instants: impl IntoIterator<Item = DateTime<Utc>>,
    ) -> diesel::QueryResult<()> {
        let missing: Vec<DateTime<Utc>> = {
            let known = self.0.lock().unwrap_or_else(|e| e.into_inner());
            let mut seen = HashSet::new();
            instants
                .into_iter()
                .filter(|at| {
                    let month = (at.year(), at.month());
                    !known.contains(&month) && seen.insert(month)
                })
                .collect()
        };
        for at in missing {
            prepared("SELECT ensure_event_partition($1)")
                .bind::<Timestamptz, _>(at)
                .execute(conn)
                .await?;
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert((at.year(), at.month()));
        }
        Ok(())
    }
}

//! A worker's batch held open: a transaction that has claimed queue rows
//! and not committed, as another worker holds them mid-batch.

use agentmon_core::storage::db::Conn;
use agentmon_projectors::queue::{claim, Claimed};
use diesel_async::RunQueryDsl;

use super::TestApp;

pub struct OpenBatch {
    conn: Conn,
    pub claimed: Vec<Claimed>,
}

impl OpenBatch {
    /// Begins a transaction and claims up to `limit` rows as a batch would.
    pub async fn claim(app: &TestApp, limit: i64) -> OpenBatch {
        let mut conn = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
        diesel::sql_query("BEGIN")
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let claimed = claim(&mut conn, limit, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        OpenBatch { conn, claimed }
    }

    /// Rolls the batch back: its rows are queued again.
    pub async fn roll_back(mut self) {
        diesel::sql_query("ROLLBACK")
            .execute(&mut *self.conn)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

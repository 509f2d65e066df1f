//! Runs the embedded diesel migrations, one process at a time.

use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::{Connection, RunQueryDsl};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// Any fixed number: the advisory lock that serializes concurrent migrators.
const MIGRATION_LOCK: i64 = 0x6167_656e_746d_6f6e;

/// Applies every pending migration to the database at `url`, as the user the
/// URL names (it becomes the owner of the tables). Returns the versions run.
pub async fn run(url: &str) -> anyhow::Result<Vec<String>> {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)?;
        diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            .execute(&mut conn)?;
        let result = newer_than_this_binary(&mut conn).and_then(|()| {
            conn.run_pending_migrations(MIGRATIONS)
                .map(|versions| versions.iter().map(|v| v.to_string()).collect())
                .map_err(|e| anyhow::anyhow!("migration failed: {e}"))
        });
        diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
            .execute(&mut conn)?;
        result
    })
    .await?
}

/// Refuses a database migrated by a newer agentmon: this binary would not
/// know its tables, and could write what the newer one cannot read.
fn newer_than_this_binary(
    conn: &mut AsyncConnectionWrapper<AsyncPgConnection>,
) -> anyhow::Result<()> {
    let applied = conn
        .applied_migrations()
        .map_err(|e| anyhow::anyhow!("cannot read the applied migrations: {e}"))?;
    let known: Vec<String> = MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    let mut unknown: Vec<String> = applied
        .iter()
        .map(|v| v.to_string())
        .filter(|v| !known.contains(v))
        .collect();
    unknown.sort();
    if let Some(newest) = unknown.last() {
        anyhow::bail!(
            "this database was migrated by a newer agentmon (migration {newest}, which agentmon {} \
             does not know; it knows up to {}): run that newer agentmon, or restore a backup made \
             by this version",
            env!("CARGO_PKG_VERSION"),
            known.iter().max().map(String::as_str).unwrap_or("none")
        );
    }
    Ok(())
}

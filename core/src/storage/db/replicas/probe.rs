//! What the watcher asks each round: where the primary writes and which
//! cluster and database it is; how far a replica has replayed, and whether
//! it is a standby of that same cluster, serving that same database, on a
//! login row-level security binds.

use anyhow::Context as _;
use diesel::sql_types::{Bool, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// The primary as one round found it.
pub(super) struct Primary {
    /// Its write position (WAL LSN).
    pub position: u64,
    /// Its cluster's system identifier, which its standbys share.
    system: String,
    database: String,
}

pub(super) enum Replayed {
    NotStandby,
    /// Never to be read from, and why: a standby of another cluster, one
    /// serving another database, or a login row-level security does not
    /// bind.
    Refused(String),
    Upto(u64),
}

/// The cluster's identifier, which a base backup and so every standby
/// keeps (readable by any login).
const SYSTEM: &str = "(SELECT system_identifier FROM pg_control_system())::text";

pub(super) async fn primary(conn: &mut AsyncPgConnection) -> anyhow::Result<Primary> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = Text)]
        lsn: String,
        #[diesel(sql_type = Text)]
        system: String,
        #[diesel(sql_type = Text)]
        database: String,
    }
    let found: Found = diesel::sql_query(format!(
        "SELECT pg_current_wal_lsn()::text AS lsn, {SYSTEM} AS system, \
                current_database()::text AS database"
    ))
    .get_result(conn)
    .await?;
    Ok(Primary {
        position: parse_lsn(&found.lsn)?,
        system: found.system,
        database: found.database,
    })
}

/// How far the replica on `conn` has replayed, unless it is logged in as a
/// login row-level security does not bind, no standby, or a standby of
/// another cluster or serving another database than `primary`.
pub(super) async fn replica(
    conn: &mut AsyncPgConnection,
    primary: &Primary,
) -> anyhow::Result<Replayed> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = Bool)]
        standby: bool,
        #[diesel(sql_type = Nullable<Text>)]
        replayed: Option<String>,
        #[diesel(sql_type = Bool)]
        bound: bool,
        #[diesel(sql_type = Text)]
        system: String,
        #[diesel(sql_type = Text)]
        database: String,
    }
    let found: Found = diesel::sql_query(format!(
        // Row-level security binds a login unless it is a superuser,
        // bypasses it, or owns (or acts as the owner of) the table.
        "SELECT pg_is_in_recovery() AS standby, \
                pg_last_wal_replay_lsn()::text AS replayed, \
                NOT (r.rolsuper OR r.rolbypassrls OR EXISTS ( \
                  SELECT 1 FROM pg_class c \
                  WHERE c.relrowsecurity AND pg_has_role(current_user, c.relowner, 'USAGE'))) AS bound, \
                {SYSTEM} AS system, current_database()::text AS database \
         FROM pg_roles r WHERE r.rolname = current_user"
    ))
    .get_result(conn)
    .await?;
    if !found.bound {
        // Reads on a login that row-level security does not bind would
        // show every tenant's rows: never used.
        return Ok(Replayed::Refused(
            "its login is a superuser, bypasses row-level security or owns the tables; give the request login (agentmon_api)".into(),
        ));
    }
    let (true, Some(lsn)) = (found.standby, found.replayed) else {
        return Ok(Replayed::NotStandby);
    };
    // Another cluster's standby, or another database of this one, holds
    // other rows (another environment's, or none): its answers would be
    // wrong, not late.
    if found.system != primary.system {
        return Ok(Replayed::Refused(format!(
            "it is a standby of another cluster (system identifier {}; the primary's is {}): \
             check DATABASE_REPLICA_URL",
            found.system, primary.system
        )));
    }
    if found.database != primary.database {
        return Ok(Replayed::Refused(format!(
            "it serves database {:?}, not the primary's {:?}: name it in DATABASE_REPLICA_URL",
            found.database, primary.database
        )));
    }
    Ok(Replayed::Upto(parse_lsn(&lsn)?))
}

/// A WAL position (`16/B374D848`) as a number.
fn parse_lsn(text: &str) -> anyhow::Result<u64> {
    let (high, low) = text.split_once('/').context("a WAL position without '/'")?;
    Ok((u64::from_str_radix(high, 16)? << 32) | u64::from_str_radix(low, 16)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wal_positions_compare_as_numbers() {
        assert_eq!(parse_lsn("0/3000000").unwrap_or_default(), 0x300_0000);
        assert_eq!(
            parse_lsn("16/B374D848").unwrap_or_default(),
            (0x16 << 32) | 0xB374_D848
        );
        assert!(
            parse_lsn("16/B374D848").unwrap_or_default()
                > parse_lsn("9/FFFFFFFF").unwrap_or_default()
        );
        assert!(parse_lsn("nonsense").is_err());
    }
}

//! `agentmon backup FILE` and `agentmon restore FILE`: the whole database
//! (the embedded cluster's, or DATABASE_URL's) through PostgreSQL's own
//! pg_dump and pg_restore (custom format). A restore goes into an empty
//! database only — a new data directory, or a new database — in one
//! transaction, then applies the migrations of this version, so a backup of
//! an older agentmon comes up to date. API keys and tokens keep working
//! when the server runs with the same JWT secret: keep it with the backup,
//! apart from it.

use std::path::{Path, PathBuf};
use std::process::Command;

use agentmon_core::storage::db::embedded::find_bin_dir;
use agentmon_core::storage::db::migrate;
use anyhow::{bail, Context};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use crate::cli::StorageArgs;
use crate::storage::{locate, redact};

/// A PostgreSQL client program: beside the server binaries when they are
/// found (the embedded cluster's own version), else from PATH.
fn program(name: &str) -> PathBuf {
    find_bin_dir()
        .ok()
        .map(|dir| dir.join(name))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

fn run(mut command: Command, what: &str) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("cannot run {what} (install PostgreSQL's client programs)"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// A PostgreSQL client program for `url`: the password goes in its
/// environment (PGPASSWORD), never on its command line, where `ps` shows it.
fn client(name: &str, url: &str) -> anyhow::Result<Command> {
    let mut parsed = url::Url::parse(url).context("DATABASE_URL is not a URL")?;
    let password = parsed.password().map(|p| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    });
    let _ = parsed.set_password(None);
    let mut command = Command::new(program(name));
    command
        .arg("--no-password")
        .arg(format!("--dbname={parsed}"));
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    Ok(command)
}

pub async fn backup(args: &StorageArgs, file: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let (url, embedded) = locate(args).await?;
    // Written beside the file, readable by its owner only (it holds every
    // tenant's data and the channels' signing secrets), and renamed into
    // place once whole: a failed run leaves the last good backup.
    let partial = file.with_extension("partial");
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    let mut dump = client("pg_dump", &url)?;
    dump.arg("--format=custom")
        .arg(format!("--file={}", partial.display()));
    let done = run(dump, "pg_dump");
    drop(embedded);
    if let Err(e) = done {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, file)
        .with_context(|| format!("cannot move the backup into {}", file.display()))?;
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    println!(
        "backed up {} to {} ({size} bytes)",
        redact(&url),
        file.display()
    );
    println!(
        "keep the JWT secret with it (AGENTMON_JWT_SECRET, or jwt-secret in the data directory): \
         API keys and tokens work after a restore only with the same secret"
    );
    Ok(())
}

/// The roles the tables' grants and policies name: cluster-wide, so not
/// in a database's backup.
const ROLES: &str = "DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'agentmon_app') THEN
    CREATE ROLE agentmon_app NOLOGIN NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'agentmon_api') THEN
    CREATE ROLE agentmon_api LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION INHERIT;
  END IF;
END $$;
GRANT agentmon_app TO CURRENT_USER;
GRANT agentmon_app TO agentmon_api;";

#[derive(diesel::QueryableByName)]
struct Tables {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

pub async fn restore(args: &StorageArgs, file: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        file.is_file(),
        "no backup at {}: give the file `agentmon backup` wrote",
        file.display()
    );
    let (url, embedded) = locate(args).await?;
    let mut conn = AsyncPgConnection::establish(&url)
        .await
        .context("cannot connect to the database to restore into")?;
    let tables: Tables =
        diesel::sql_query("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'")
            .get_result(&mut conn)
            .await?;
    if tables.n > 0 {
        bail!(
            "{} is not empty ({} tables): a restore goes into an empty database — a new \
             AGENTMON_DATA_DIR, or a new database in DATABASE_URL",
            redact(&url),
            tables.n
        );
    }
    conn.batch_execute(ROLES)
        .await
        .context("cannot create agentmon's roles")?;
    drop(conn);
    let mut restore = client("pg_restore", &url)?;
    restore
        .args(["--no-owner", "--exit-on-error", "--single-transaction"])
        .arg(file);
    run(restore, "pg_restore")?;
    let versions = migrate::run(&url)
        .await
        .context("restored, but cannot migrate the database")?;
    drop(embedded);
    println!(
        "restored {} into {}{}",
        file.display(),
        redact(&url),
        if versions.is_empty() {
            String::new()
        } else {
            format!(", then applied {} newer migrations", versions.len())
        }
    );
    Ok(())
}

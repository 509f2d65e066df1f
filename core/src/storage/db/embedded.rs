//! The embedded PostgreSQL: with no `DATABASE_URL`, agentmon runs a private
//! cluster under `<data dir>/pg` from the machine's `initdb` and `pg_ctl`,
//! reachable only on 127.0.0.1 with a generated password.
//!
//! `start_or_reuse` starts the cluster, or reuses it when another agentmon
//! process already runs it; only the process that started it stops it.
//! initdb refuses to run as root, so as root the cluster runs as the
//! `postgres` system user, which is given the cluster directory.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{anyhow, bail, Context};
use nix::fcntl::{Flock, FlockArg};
use nix::unistd::{chown, Gid, Uid, User};

const SUPERUSER: &str = "agentmon";

pub struct EmbeddedPg {
    cluster: PathBuf,
    bin_dir: PathBuf,
    run_as: Option<(Uid, Gid)>,
    port: u16,
    password: String,
    started_here: bool,
}

impl EmbeddedPg {
    /// Starts the cluster under `data_dir/pg`, creating it on first use, or
    /// attaches to it when it is already running. Blocking.
    pub fn start_or_reuse(data_dir: &Path) -> anyhow::Result<Self> {
        fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let data_dir = data_dir.canonicalize()?;
        let run_as = cluster_user()?;
        if let Some((uid, _)) = run_as {
            // The cluster runs as `postgres`: it must pass through the data
            // directory (whatever the umask) to reach its own folder in it.
            fs::set_permissions(&data_dir, fs::Permissions::from_mode(0o711))?;
            use std::os::unix::fs::MetadataExt;
            if let Some(blocked) = data_dir.ancestors().find(|dir| {
                fs::metadata(dir).is_ok_and(|m| m.mode() & 0o001 == 0 && m.uid() != uid.as_raw())
            }) {
                bail!(
                    "the embedded PostgreSQL runs as the `postgres` user, which cannot pass \
                     through {} (mode {:o}); choose a data directory outside it with \
                     AGENTMON_DATA_DIR, e.g. /var/lib/agentmon",
                    blocked.display(),
                    fs::metadata(blocked)
                        .map(|m| m.permissions().mode() & 0o777)
                        .unwrap_or(0)
                );
            }
        }
        let lock_file = File::create(data_dir.join("pg.lock"))?;
        let _lock = Flock::lock(lock_file, FlockArg::LockExclusive)
            .map_err(|(_, e)| anyhow!("cannot lock {}/pg.lock: {e}", data_dir.display()))?;

        let bin_dir = find_bin_dir()?;
        let password = read_or_create_secret(&data_dir.join("pg-password"))?;
        let mut pg = EmbeddedPg {
            cluster: data_dir.join("pg"),
            bin_dir,
            run_as,
            port: 0,
            password,
            started_here: false,
        };
        if !pg.cluster.join("PG_VERSION").exists() {
            pg.initdb(&data_dir)?;
        }
        if let Some(port) = pg.running_port() {
            pg.port = port;
            tracing::info!(port, cluster = %pg.cluster.display(), "reusing the running embedded PostgreSQL");
        } else {
            pg.start()?;
        }
        Ok(pg)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `db` as the cluster's superuser.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{db}",
            self.password, self.port
        )
    }

    /// Stops the cluster if this process started it.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        if !self.started_here {
            return Ok(());
        }
        self.started_here = false;
        let status = self
            .pg_ctl()
            .args(["stop", "-w", "-m", "fast", "-D"])
            .arg(&self.cluster)
            .status()?;
        if !status.success() {
            bail!("pg_ctl stop failed ({status})");
        }
        tracing::info!("embedded PostgreSQL stopped");
        Ok(())
    }

    fn initdb(&self, data_dir: &Path) -> anyhow::Result<()> {
        tracing::info!(cluster = %self.cluster.display(), "creating the embedded PostgreSQL cluster");
        fs::create_dir_all(&self.cluster)?;
        fs::set_permissions(&self.cluster, fs::Permissions::from_mode(0o700))?;
        let pwfile = data_dir.join("pg-password.init");
        write_private(&pwfile, &self.password)?;
        if let Some((uid, gid)) = self.run_as {
            chown(&self.cluster, Some(uid), Some(gid))?;
            chown(&pwfile, Some(uid), Some(gid))?;
        }
        let output = self
            .command("initdb")
            .arg("-D")
            .arg(&self.cluster)
            .args([
                "-U",
                SUPERUSER,
                "-A",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output()?;
        let _ = fs::remove_file(&pwfile);
        if !output.status.success() {
            bail!(
                "initdb failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    fn start(&mut self) -> anyhow::Result<()> {
        let port = free_port()?;
        let log = self.cluster.join("postgres.log");
        let output = self
            .pg_ctl()
            .args(["start", "-w", "-t", "60", "-D"])
            .arg(&self.cluster)
            .arg("-l")
            .arg(&log)
            .arg("-o")
            .arg(format!(
                "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200"
            ))
            .stdout(Stdio::null())
            .output()?;
        if !output.status.success() {
            let tail = fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(10).collect();
            bail!(
                "the embedded PostgreSQL did not start: {}\n{}",
                String::from_utf8_lossy(&output.stderr).trim(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        self.port = port;
        self.started_here = true;
        tracing::info!(port, cluster = %self.cluster.display(), "embedded PostgreSQL started");
        Ok(())
    }

    /// The port of a cluster that is running now, from its postmaster.pid.
    fn running_port(&self) -> Option<u16> {
        let pid_file = fs::read_to_string(self.cluster.join("postmaster.pid")).ok()?;
        let status = self
            .pg_ctl()
            .arg("status")
            .arg("-D")
            .arg(&self.cluster)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
        pid_file.lines().nth(3)?.trim().parse().ok()
    }

    fn pg_ctl(&self) -> Command {
        self.command("pg_ctl")
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(program));
        cmd.current_dir("/").env_remove("PGDATA");
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid.as_raw()).gid(gid.as_raw());
        }
        cmd
    }
}

/// The directory holding `initdb` and `pg_ctl`: from PATH, `pg_config
/// --bindir`, or the newest `/usr/lib/postgresql/*/bin`.
pub fn find_bin_dir() -> anyhow::Result<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        if out.status.success() {
            candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
    }
    let mut versioned: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .collect();
    versioned.sort_by_key(|v| std::cmp::Reverse(v.0));
    candidates.extend(versioned.into_iter().map(|(_, p)| p));
    candidates.into_iter().find(|d| has_both(d)).ok_or_else(|| {
        anyhow!(
            "no PostgreSQL server binaries (initdb, pg_ctl) found on PATH, via pg_config or in \
             /usr/lib/postgresql/*/bin. Install PostgreSQL (Debian/Ubuntu: `apt-get install \
             postgresql`; macOS: `brew install postgresql@16`) or set DATABASE_URL to a \
             PostgreSQL 15+ database."
        )
    })
}

/// As root, the cluster runs as the `postgres` system user.
fn cluster_user() -> anyhow::Result<Option<(Uid, Gid)>> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    let user = User::from_name("postgres")?.ok_or_else(|| {
        anyhow!(
            "running as root, the embedded PostgreSQL needs a `postgres` system user to run as \
             (installing PostgreSQL creates it), or set DATABASE_URL"
        )
    })?;
    Ok(Some((user.uid, user.gid)))
}

/// Reads a secret kept in `path`, or creates a random one there (mode
/// 0600). Two processes starting at once agree: the secret is written to a
/// file of its own and linked into place only if `path` does not exist yet;
/// the loser reads the winner's.
pub fn read_or_create_secret(path: &Path) -> anyhow::Result<String> {
    if let Some(existing) = read_existing(path)? {
        return Ok(existing);
    }
    let secret: String = {
        use rand::distr::{Alphanumeric, SampleString};
        Alphanumeric.sample_string(&mut rand::rng(), 48)
    };
    let draft = path.with_extension(format!(
        "new-{}-{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    write_private(&draft, &secret)?;
    let linked = fs::hard_link(&draft, path);
    let _ = fs::remove_file(&draft);
    match linked {
        Ok(()) => Ok(secret),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read_existing(path)?.ok_or_else(|| anyhow!("{} exists but is empty", path.display()))
        }
        Err(e) => Err(anyhow!("cannot create {}: {e}", path.display())),
    }
}

fn read_existing(path: &Path) -> anyhow::Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(existing) if !existing.trim().is_empty() => Ok(Some(existing.trim().to_string())),
        Ok(_) => Err(anyhow!(
            "{} is empty: delete it to have a new secret made",
            path.display()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow!("cannot read {}: {e}", path.display())),
    }
}

fn write_private(path: &Path, content: &str) -> anyhow::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(content.as_bytes())?;
    Ok(())
}

/// A port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl EmbeddedPg {
    /// Leaves the cluster running when this value is dropped (the test
    /// harness shares one cluster between processes).
    pub fn keep_running(&mut self) {
        self.started_here = false;
    }
}

impl Drop for EmbeddedPg {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::warn!(error = %e, "could not stop the embedded PostgreSQL");
        }
    }
}

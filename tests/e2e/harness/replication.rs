//! A PostgreSQL primary made for one test, in a folder of its own under the
//! target directory, and a real streaming standby of it: a base backup
//! (`pg_basebackup -R`, which writes where to stream from) started as a
//! second postmaster on a port of its own. Both are stopped, and the folder
//! removed, when dropped; the standby can be stopped and started again.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use agentmon_core::storage::db::create_database_if_missing;
use agentmon_core::storage::db::embedded::{find_bin_dir, free_port, EmbeddedPg};

pub struct Replicated {
    /// The owner's URL of database `agentmon` on the primary.
    pub primary: String,
    /// The standby's URL for `DATABASE_REPLICA_URL` (no login: agentmon
    /// uses its request login).
    pub replica: String,
    /// How `/metrics` names the standby.
    pub replica_name: String,
    pub standby: Standby,
    pg: Option<EmbeddedPg>,
    base: PathBuf,
}

impl Replicated {
    pub async fn start() -> Replicated {
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("replicated-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&base).unwrap_or_else(|e| panic!("{e}"));
        postgres_owns(&base, 0o711);
        let primary_dir = base.join("primary");
        let pg = tokio::task::spawn_blocking(move || EmbeddedPg::start_or_reuse(&primary_dir))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e:#}"));
        create_database_if_missing(&pg.url("postgres"), "agentmon")
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        let password = std::fs::read_to_string(base.join("primary/pg-password"))
            .unwrap_or_else(|e| panic!("{e}"));
        let standby = Standby::create(pg.port(), password.trim(), &base.join("standby"));
        Replicated {
            primary: pg.url("agentmon"),
            replica: format!("postgres://127.0.0.1:{}/agentmon", standby.port),
            replica_name: format!("replica=\"127.0.0.1:{}/agentmon\"", standby.port),
            standby,
            pg: Some(pg),
            base,
        }
    }

    /// A folder for the test's own files (data directories of servers).
    pub fn dir(&self, name: &str) -> PathBuf {
        self.base.join(name)
    }

    /// The owner's URL of database `agentmon` on the standby.
    pub fn standby_owner(&self) -> String {
        let mut url = url::Url::parse(&self.primary).unwrap_or_else(|e| panic!("{e}"));
        let _ = url.set_port(Some(self.standby.port));
        url.to_string()
    }
}

impl Drop for Replicated {
    fn drop(&mut self) {
        self.standby.stop();
        drop(self.pg.take());
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// A streaming standby of the test's primary on a port of its own.
pub struct Standby {
    dir: PathBuf,
    pub port: u16,
    bin: PathBuf,
}

impl Standby {
    /// A base backup of the primary on `primary_port` into `dir`, started.
    fn create(primary_port: u16, password: &str, dir: &Path) -> Standby {
        // pg_ctl's own folder (PATH may hold links to it alone), which has
        // pg_basebackup beside it.
        let bin = find_bin_dir()
            .and_then(|dir| Ok(std::fs::canonicalize(dir.join("pg_ctl"))?))
            .map(|pg_ctl| pg_ctl.parent().map(Path::to_path_buf).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
        postgres_owns(dir, 0o700);
        let out = as_postgres(Command::new(bin.join("pg_basebackup")))
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "agentmon",
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
            ])
            .args(["-p", &primary_port.to_string(), "-D"])
            .arg(dir)
            .env("PGPASSWORD", password)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            out.status.success(),
            "pg_basebackup: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let standby = Standby {
            dir: dir.to_path_buf(),
            port: free_port().unwrap_or_else(|e| panic!("{e}")),
            bin,
        };
        standby.start();
        standby
    }

    pub fn start(&self) {
        let out = as_postgres(Command::new(self.bin.join("pg_ctl")))
            .args(["start", "-w", "-t", "60", "-D"])
            .arg(&self.dir)
            .arg("-l")
            .arg(self.dir.join("standby.log"))
            .arg("-o")
            .arg(format!(
                "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200",
                self.port
            ))
            .stdout(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            out.status.success(),
            "the standby did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn stop(&self) {
        let _ = as_postgres(Command::new(self.bin.join("pg_ctl")))
            .args(["stop", "-w", "-m", "fast", "-D"])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// As root, PostgreSQL's programs run as the `postgres` user.
fn postgres_user() -> Option<nix::unistd::User> {
    if !nix::unistd::Uid::effective().is_root() {
        return None;
    }
    nix::unistd::User::from_name("postgres").ok().flatten()
}

fn as_postgres(mut command: Command) -> Command {
    use std::os::unix::process::CommandExt;
    if let Some(user) = postgres_user() {
        command.uid(user.uid.as_raw()).gid(user.gid.as_raw());
    }
    command.current_dir("/");
    command
}

fn postgres_owns(dir: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    if let Some(user) = postgres_user() {
        nix::unistd::chown(dir, Some(user.uid), Some(user.gid)).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("{e}"));
}

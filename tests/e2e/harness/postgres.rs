//! A real PostgreSQL for the tests: one embedded cluster on a free port,
//! shared by every test process of the run (a file lock guards its start),
//! migrated once into a template database, and a fresh copy of that
//! template for each test, dropped when the test ends.

use std::collections::hash_map::DefaultHasher;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

use agentmon_core::storage::db::embedded::EmbeddedPg;
use agentmon_core::storage::db::migrate;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use nix::fcntl::{Flock, FlockArg};
use tokio::sync::OnceCell;

/// Where the shared test cluster lives: inside the target directory, so a
/// `cargo clean` removes it. `AGENTMON_TEST_PG_DIR` overrides it.
pub fn cluster_dir() -> PathBuf {
    std::env::var_os("AGENTMON_TEST_PG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("agentmon-test-pg"))
}

struct Cluster {
    /// URL of the `postgres` maintenance database.
    admin_url: String,
    /// URL prefix; append a database name.
    base_url: String,
    template: String,
}

static CLUSTER: OnceCell<Cluster> = OnceCell::const_new();

async fn cluster() -> &'static Cluster {
    CLUSTER
        .get_or_init(|| async {
            let dir = cluster_dir();
            let pg = tokio::task::spawn_blocking(move || {
                let mut pg = EmbeddedPg::start_or_reuse(&dir)
                    .unwrap_or_else(|e| panic!("cannot start the test PostgreSQL: {e:#}"));
                // Shared by every test process; `.ci/run` stops it at the end.
                pg.keep_running();
                pg
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
            let admin_url = pg.url("postgres");
            let base_url = pg.url("");
            let template = ensure_template(&admin_url, &base_url).await;
            Cluster {
                admin_url,
                base_url,
                template,
            }
        })
        .await
}

/// The template database for the current migrations, made once per cluster.
async fn ensure_template(admin_url: &str, base_url: &str) -> String {
    let name = format!("tpl_{:016x}", migrations_hash());
    let lock_path = cluster_dir().join("template.lock");
    let lock_file = File::create(&lock_path).unwrap_or_else(|e| panic!("{e}"));
    let _lock =
        Flock::lock(lock_file, FlockArg::LockExclusive).unwrap_or_else(|(_, e)| panic!("{e}"));
    let mut admin = connect(admin_url).await;
    if database_exists(&mut admin, &name).await {
        return name;
    }
    let building = format!("{name}_building");
    for sql in [
        format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
        format!("CREATE DATABASE {building}"),
    ] {
        admin
            .batch_execute(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    migrate::run(&format!("{base_url}{building}"))
        .await
        .unwrap_or_else(|e| panic!("migrations failed on the test template: {e:#}"));
    admin
        .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    name
}

fn migrations_hash() -> u64 {
    fn walk(dir: &Path, hasher: &mut DefaultHasher) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            path.file_name().hash(hasher);
            if path.is_dir() {
                walk(&path, hasher);
            } else {
                std::fs::read(&path).unwrap_or_default().hash(hasher);
            }
        }
    }
    let mut hasher = DefaultHasher::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations"),
        &mut hasher,
    );
    hasher.finish()
}

async fn connect(url: &str) -> AsyncPgConnection {
    AsyncPgConnection::establish(url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL: {e}"))
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> bool {
    // CREATE DATABASE has no IF NOT EXISTS; ask the catalog instead.
    conn.batch_execute(&format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}') \
         THEN RAISE EXCEPTION 'missing'; END IF; END $$"
    ))
    .await
    .is_ok()
}

/// A database of its own for one test, with every migration applied.
pub struct TestDb {
    pub url: String,
    name: String,
    admin_url: String,
}

impl TestDb {
    /// An empty database of its own (no table, no migration), to restore
    /// into.
    #[allow(dead_code)]
    pub async fn empty() -> TestDb {
        let cluster = cluster().await;
        let name = format!("e_{}", uuid::Uuid::new_v4().simple());
        let mut admin = connect(&cluster.admin_url).await;
        admin
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE template0"))
            .await
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        TestDb {
            url: format!("{}{name}", cluster.base_url),
            name,
            admin_url: cluster.admin_url.clone(),
        }
    }

    pub async fn new() -> TestDb {
        let cluster = cluster().await;
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = connect(&cluster.admin_url).await;
        let mut attempt = 0;
        loop {
            let created = admin
                .batch_execute(&format!(
                    "CREATE DATABASE {name} TEMPLATE {}",
                    cluster.template
                ))
                .await;
            match created {
                Ok(()) => break,
                // Another process copying the same template at this moment.
                Err(e) if attempt < 50 && e.to_string().contains("being accessed") => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
                }
                Err(e) => panic!("cannot create test database {name}: {e}"),
            }
        }
        TestDb {
            url: format!("{}{name}", cluster.base_url),
            name,
            admin_url: cluster.admin_url.clone(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (name, admin_url) = (self.name.clone(), self.admin_url.clone());
        // Drop runs outside any runtime the test may still be tearing down.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut admin) = AsyncPgConnection::establish(&admin_url).await {
                    let _ = admin
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join();
    }
}

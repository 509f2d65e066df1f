//! A real `redis-server` on a free port for one test, killed when dropped
//! (or earlier, to test what happens when Redis goes away).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct TestRedis {
    pub url: String,
    child: Option<Child>,
}

impl TestRedis {
    pub async fn start() -> TestRedis {
        let port =
            agentmon_core::storage::db::embedded::free_port().unwrap_or_else(|e| panic!("{e}"));
        let url = format!("redis://127.0.0.1:{port}");
        let child = spawn(port, &url).await;
        TestRedis {
            url,
            child: Some(child),
        }
    }

    /// Kills the server and starts a new one, empty, on the same port.
    pub async fn restart(&mut self) {
        self.kill();
        let port = self
            .url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {}", self.url));
        self.child = Some(spawn(port, &self.url).await);
    }

    /// Kills the server now.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Keys stored under `pattern`.
    pub async fn keys(&self, pattern: &str) -> Vec<String> {
        let client = redis::Client::open(self.url.as_str()).unwrap_or_else(|e| panic!("{e}"));
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        redis::cmd("KEYS")
            .arg(pattern)
            .query_async(&mut conn)
            .await
            .unwrap_or_default()
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `redis-server` on `port`, once it answers PING.
async fn spawn(port: u16, url: &str) -> Child {
    let mut child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start redis-server (apt-get install redis-server): {e}")
        });
    if !answers(url).await {
        let _ = child.kill();
        let _ = child.wait();
        panic!("redis-server did not start on {port}");
    }
    child
}

/// Whether the Redis at `url` answers PING within 10 s.
async fn answers(url: &str) -> bool {
    let client = redis::Client::open(url).unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
            if redis::cmd("PING")
                .query_async::<String>(&mut conn)
                .await
                .is_ok()
            {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

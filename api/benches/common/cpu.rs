//! CPU time spent, read from /proc: by this process (clients, server and
//! workers of a bench share it) and by the PostgreSQL cluster — the
//! postmaster, every process it started, and those that exited since
//! (their time is added to the postmaster's children's time when it
//! reaps them) — split by what the processes are.

use std::path::Path;

/// Clock ticks per second of /proc's times (USER_HZ, 100 on Linux).
const TICKS: f64 = 100.0;

/// Seconds of CPU of this process and of the cluster's parts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    pub bench: f64,
    /// Backends logged in as `agentmon_api` (requests: ingest, queries).
    pub requests: f64,
    /// Other backends (the worker's pool, the bench's own queries).
    pub owner: f64,
    /// Autovacuum and analyze, including workers that have exited.
    pub autovacuum: f64,
    /// The postmaster, WAL writer, checkpointer and other helpers.
    pub background: f64,
}

impl std::ops::Sub for Cpu {
    type Output = Cpu;
    fn sub(self, e: Cpu) -> Cpu {
        Cpu {
            bench: self.bench - e.bench,
            requests: self.requests - e.requests,
            owner: self.owner - e.owner,
            autovacuum: self.autovacuum - e.autovacuum,
            background: self.background - e.background,
        }
    }
}

impl Cpu {
    /// Seconds of CPU so far; `cluster` is the data directory holding
    /// postmaster.pid.
    pub fn now(cluster: &Path) -> anyhow::Result<Cpu> {
        let postmaster: u32 = std::fs::read_to_string(cluster.join("postmaster.pid"))?
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no pid in postmaster.pid"))?;
        let mut cpu = Cpu::default();
        for entry in std::fs::read_dir("/proc")? {
            let Some(pid) = entry?
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Some(stat) = Stat::of(pid) else { continue };
            if pid == postmaster {
                // Exited children: mostly autovacuum workers, which come
                // and go by the table.
                cpu.autovacuum += stat.children;
                cpu.background += stat.own;
            } else if stat.ppid == postmaster {
                let title =
                    std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                if title.contains("autovacuum") {
                    cpu.autovacuum += stat.own;
                } else if title.contains("agentmon_api") {
                    cpu.requests += stat.own;
                } else if title.contains('(') {
                    // A client's backend names its peer: "host(port)".
                    cpu.owner += stat.own;
                } else {
                    cpu.background += stat.own;
                }
            }
        }
        cpu.bench = Stat::of(std::process::id())
            .ok_or_else(|| anyhow::anyhow!("cannot read this process's stat"))?
            .own;
        Ok(cpu)
    }

    fn postgres(&self) -> f64 {
        self.requests + self.owner + self.autovacuum + self.background
    }

    /// Seconds of CPU of this process and the cluster together.
    pub fn total(&self) -> f64 {
        self.bench + self.postgres()
    }

    /// The CPU per event of `events` in this span, whole and by part.
    pub fn per_event(&self, events: usize) -> String {
        let us = |s: f64| s / events as f64 * 1e6;
        format!(
            "CPU {:.0} µs/event: this process {:.0}, PostgreSQL {:.0} \
             (request backends {:.0}, worker backends {:.0}, autovacuum {:.0}, background {:.0})",
            us(self.total()),
            us(self.bench),
            us(self.postgres()),
            us(self.requests),
            us(self.owner),
            us(self.autovacuum),
            us(self.background)
        )
    }
}

/// A process's parent, its own user + system seconds, and those of its
/// children it has waited for.
struct Stat {
    ppid: u32,
    own: f64,
    children: f64,
}

impl Stat {
    fn of(pid: u32) -> Option<Stat> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command name may hold spaces: fields count from its closing
        // paren (field 3, the state, is the first after it).
        let rest = &text[text.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split(' ').collect();
        let secs = |i: usize| -> Option<f64> { Some(f.get(i)?.parse::<f64>().ok()? / TICKS) };
        Some(Stat {
            ppid: f.get(1)?.parse().ok()?,
            own: secs(11)? + secs(12)?,
            children: secs(13)? + secs(14)?,
        })
    }
}

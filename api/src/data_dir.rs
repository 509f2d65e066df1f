//! The data directory: where the embedded PostgreSQL and the generated
//! secrets live. It never depends on the folder a command is started from,
//! so `agentmon serve` and `agentmon token` agree wherever each is run.
//!
//! `AGENTMON_DATA_DIR` (or `--data-dir`) when set; else
//! `$XDG_DATA_HOME/agentmon`, else `~/.local/share/agentmon`; as root
//! `/var/lib/agentmon` (the embedded PostgreSQL then runs as the `postgres`
//! user, which cannot enter root's home).

use std::path::{Path, PathBuf};
use std::sync::Once;

use anyhow::Context;

/// Where the data directory comes from, for the start-up lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Configured,
    Default,
}

/// The data directory, absolute.
pub fn resolve(configured: Option<&Path>) -> anyhow::Result<(PathBuf, Origin)> {
    let (dir, origin) = match configured {
        Some(dir) => (dir.to_path_buf(), Origin::Configured),
        None => (default_dir()?, Origin::Default),
    };
    let dir = if dir.is_absolute() {
        dir
    } else {
        std::env::current_dir()
            .context("cannot read the current folder")?
            .join(dir)
    };
    Ok((dir, origin))
}

fn default_dir() -> anyhow::Result<PathBuf> {
    if nix::unistd::Uid::effective().is_root() {
        return Ok(PathBuf::from("/var/lib/agentmon"));
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(xdg).join("agentmon"));
    }
    let home = std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .context("neither HOME nor XDG_DATA_HOME is set: set AGENTMON_DATA_DIR")?;
    Ok(PathBuf::from(home).join(".local/share/agentmon"))
}

/// Says once per process, on stderr, which data directory is used.
pub fn announce(dir: &Path, origin: Origin) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let how = match origin {
            Origin::Configured => "AGENTMON_DATA_DIR",
            Origin::Default => "default; set AGENTMON_DATA_DIR to change it",
        };
        eprintln!("agentmon: data directory {} ({how})", dir.display());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_relative_directory_is_made_absolute() {
        let (dir, origin) = resolve(Some(Path::new("data"))).unwrap_or_else(|e| panic!("{e}"));
        assert!(dir.is_absolute(), "{}", dir.display());
        assert!(dir.ends_with("data"));
        assert_eq!(origin, Origin::Configured);
    }

    #[test]
    fn the_default_does_not_depend_on_the_current_folder() {
        let (dir, origin) = resolve(None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(origin, Origin::Default);
        assert!(dir.is_absolute());
        assert!(dir.ends_with("agentmon"), "{}", dir.display());
        let cwd = std::env::current_dir().unwrap_or_default();
        assert!(
            !dir.starts_with(&cwd) || cwd == Path::new("/"),
            "{}",
            dir.display()
        );
    }
}

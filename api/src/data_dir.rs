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
    match configured {
        Some(dir) if dir.is_absolute() => Ok((dir.to_path_buf(), Origin::Configured)),
        Some(dir) => anyhow::bail!(
            "AGENTMON_DATA_DIR must be an absolute path, so that every command finds the same \
             data wherever it is started; got {:?} (try \"$PWD/{}\")",
            dir.display().to_string(),
            dir.display()
        ),
        None => Ok((default_dir()?, Origin::Default)),
    }
}

fn default_dir() -> anyhow::Result<PathBuf> {
    if nix::unistd::Uid::effective().is_root() {
        return Ok(PathBuf::from("/var/lib/agentmon"));
    }
    // A relative XDG_DATA_HOME is to be ignored (XDG Base Directory spec).
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return Ok(xdg.join("agentmon"));
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
    fn a_configured_relative_directory_is_refused_with_what_to_set() {
        let error = resolve(Some(Path::new("data")))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("must be an absolute path"), "{error}");
        let (dir, origin) =
            resolve(Some(Path::new("/srv/agentmon"))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (dir.as_path(), origin),
            (Path::new("/srv/agentmon"), Origin::Configured)
        );
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

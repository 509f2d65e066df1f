//! The dashboard's files and the browser libraries it loads, carried in the
//! binary (`build.rs` gathers the libraries the pages name). With a web
//! directory configured (development), the dashboard's own files are read
//! from disk on every request instead, so edits show without a rebuild; the
//! libraries always come from the binary.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

use rust_embed::Embed;

/// `web/` without its npm folder, its tests and npm's manifests.
#[derive(Embed)]
#[folder = "../web/"]
#[exclude = "node_modules/*"]
#[exclude = "tests/*"]
#[exclude = "package.json"]
#[exclude = "package-lock.json"]
struct Web;

/// Exactly the library files the pages name, and what those import.
#[derive(Embed)]
#[folder = "$OUT_DIR/vendor/"]
struct Vendor;

/// Changes whenever a library file changes: part of every library URL.
pub const VENDOR_VERSION: &str = env!("AGENTMON_VENDOR_VERSION");

/// The dashboard's modules and libraries bundled into one module, `main.js`,
/// and the module a page loads, which imports it, `boot.js` (`build.rs`).
#[derive(Embed)]
#[folder = "$OUT_DIR/bundle/"]
struct Bundle;

/// Changes whenever the bundle changes: part of its URL.
pub const BUNDLE_VERSION: &str = env!("AGENTMON_BUNDLE_VERSION");

/// Where the dashboard's own files come from.
#[derive(Debug, Clone, Default)]
pub enum Source {
    /// The copy inside the binary.
    #[default]
    Embedded,
    /// A `web/` folder on disk, read on each request (development).
    Dir(PathBuf),
}

pub struct Asset {
    pub bytes: Cow<'static, [u8]>,
    pub mime: String,
    /// A strong validator of the content.
    pub etag: String,
}

impl Source {
    /// A file of the dashboard (`index.html`, `app/main.js`, …).
    pub fn page_file(&self, path: &str) -> Option<Asset> {
        let path = clean(path)?;
        if is_private(&path) {
            return None;
        }
        match self {
            Source::Embedded => Web::get(&path).map(|f| embedded(&path, f)),
            Source::Dir(dir) => {
                let bytes = std::fs::read(dir.join(&path)).ok()?;
                let etag = format!("\"{:x}\"", fnv(&bytes));
                Some(Asset {
                    mime: mime(&path),
                    bytes: Cow::Owned(bytes),
                    etag,
                })
            }
        }
    }

    /// Every module of the dashboard (`app/**.js`), sorted: what a page
    /// asks the browser to fetch at once instead of import by import.
    pub fn modules(&self) -> Vec<String> {
        let mut modules: Vec<String> = match self {
            Source::Embedded => Web::iter()
                .filter(|p| p.starts_with("app/") && p.ends_with(".js"))
                .map(|p| p.into_owned())
                .collect(),
            Source::Dir(dir) => {
                let mut found = Vec::new();
                let mut folders = vec![dir.join("app")];
                while let Some(folder) = folders.pop() {
                    for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
                        let path = entry.path();
                        if path.is_dir() {
                            folders.push(path);
                        } else if let Some(relative) = path
                            .strip_prefix(dir)
                            .ok()
                            .and_then(|p| p.to_str())
                            .filter(|p| p.ends_with(".js"))
                        {
                            found.push(relative.replace('\\', "/"));
                        }
                    }
                }
                found
            }
        };
        modules.retain(|p| !is_private(p));
        modules.sort();
        modules
    }

    pub fn describe(&self) -> String {
        match self {
            Source::Embedded => "embedded in the binary".into(),
            Source::Dir(dir) => format!("read from {} (development)", dir.display()),
        }
    }
}

/// A library file (`preact/dist/preact.module.js`, …).
pub fn vendor_file(path: &str) -> Option<Asset> {
    file_of::<Vendor>(path)
}

/// The gzipped copy of a library file, where `build.rs` made one.
pub fn vendor_gzipped(path: &str) -> Option<Asset> {
    gzipped_of::<Vendor>(path)
}

/// A file of the bundled dashboard (`main.js`, `boot.js`).
pub fn bundle_file(path: &str) -> Option<Asset> {
    file_of::<Bundle>(path)
}

/// The gzipped copy of a file of the bundled dashboard (`build.rs` makes
/// one of each).
pub fn bundle_gzipped(path: &str) -> Option<Asset> {
    gzipped_of::<Bundle>(path)
}

/// How `build.rs` names a file's gzipped copy: sent only as another
/// representation of the file, never under this name.
const GZIPPED: &str = ".gz";

/// A file of `E` by its path; never a gzipped copy.
fn file_of<E: Embed>(path: &str) -> Option<Asset> {
    let path = clean(path).filter(|p| !p.ends_with(GZIPPED))?;
    E::get(&path).map(|f| embedded(&path, f))
}

/// The gzipped copy of a file of `E`, typed as the file itself.
fn gzipped_of<E: Embed>(path: &str) -> Option<Asset> {
    let path = clean(path)?;
    E::get(&format!("{path}{GZIPPED}")).map(|f| embedded(&path, f))
}

/// Every library path the binary serves.
pub fn vendor_paths() -> impl Iterator<Item = Cow<'static, str>> {
    Vendor::iter().filter(|p| !p.ends_with(GZIPPED))
}

fn embedded(path: &str, file: rust_embed::EmbeddedFile) -> Asset {
    let hash = file.metadata.sha256_hash();
    Asset {
        mime: mime(path),
        etag: format!(
            "\"{}\"",
            hash[..12]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ),
        bytes: file.data,
    }
}

fn mime(path: &str) -> String {
    let guess = mime_guess::from_path(path).first_or_octet_stream();
    match guess.type_() {
        mime_guess::mime::TEXT | mime_guess::mime::APPLICATION
            if guess.get_param("charset").is_none() && is_text(path) =>
        {
            format!("{guess}; charset=utf-8")
        }
        _ => guess.to_string(),
    }
}

fn is_text(path: &str) -> bool {
    [".html", ".js", ".mjs", ".css", ".json", ".svg", ".map"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

/// Files of `web/` that are not the dashboard's (tests, npm's files).
fn is_private(path: &str) -> bool {
    path.starts_with("node_modules/")
        || path.starts_with("tests/")
        || path == "package.json"
        || path == "package-lock.json"
        || path.split('/').any(|part| part.starts_with('.'))
}

/// A relative path with `/` separators and no `..`, or `None`.
fn clean(path: &str) -> Option<String> {
    let path = path.trim_start_matches('/');
    let mut parts = Vec::new();
    for part in Path::new(path).components() {
        match part {
            Component::Normal(p) => parts.push(p.to_str()?),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_climb_out_or_reach_private_files_are_not_served() {
        let web = Source::Embedded;
        assert!(web.page_file("index.html").is_some());
        assert!(web.page_file("/app/main.js").is_some());
        for path in [
            "../Cargo.toml",
            "app/../../Cargo.toml",
            "tests/suite.js",
            "package.json",
            "node_modules/preact/package.json",
            "",
        ] {
            assert!(web.page_file(path).is_none(), "{path} is served");
        }
        assert!(vendor_file("preact/dist/preact.module.js").is_some());
        assert!(vendor_file("preact/package.json").is_none());
        assert!(vendor_file("../preact/dist/preact.module.js").is_none());
        // Gzipped copies are another representation, never a file of their own.
        assert!(vendor_gzipped("preact/dist/preact.module.js").is_some());
        assert!(vendor_file("preact/dist/preact.module.js.gz").is_none());
        assert!(vendor_gzipped("preact/package.json").is_none());
        assert!(bundle_file("main.js.gz").is_none());
        assert!(vendor_paths().all(|p| !p.ends_with(".gz")));
    }

    #[test]
    fn from_a_folder_the_same_paths_are_refused() {
        let root = std::env::temp_dir().join(format!("agentmon-assets-{}", std::process::id()));
        let web = root.join("web");
        for dir in ["app", "tests", "node_modules/x"] {
            std::fs::create_dir_all(web.join(dir)).unwrap_or_else(|e| panic!("{e}"));
        }
        for file in [
            "app/main.js",
            "tests/t.js",
            "node_modules/x/a.js",
            "package.json",
            ".env",
        ] {
            std::fs::write(web.join(file), "x").unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(root.join("secret"), "s").unwrap_or_else(|e| panic!("{e}"));
        let source = Source::Dir(web);
        assert!(source.page_file("app/main.js").is_some());
        for path in [
            "../secret",
            "app/../../secret",
            "tests/t.js",
            "node_modules/x/a.js",
            "package.json",
            ".env",
            "/../secret",
        ] {
            assert!(source.page_file(path).is_none(), "{path} is served");
        }
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn the_files_are_inside_the_binary_not_read_from_disk() {
        let index = Web::get("index.html").map(|f| f.data);
        assert!(
            matches!(index, Some(Cow::Borrowed(_))),
            "index.html is read at run time"
        );
        let library = Vendor::get("preact/dist/preact.module.js").map(|f| f.data);
        assert!(
            matches!(library, Some(Cow::Borrowed(_))),
            "preact is read at run time"
        );
    }

    #[test]
    fn every_library_a_page_names_is_embedded_and_nothing_else_of_npm() {
        let named: std::collections::BTreeSet<String> = ["index.html", "graphiql.html"]
            .iter()
            .flat_map(|page| {
                let html = Source::Embedded
                    .page_file(page)
                    .map(|a| a.bytes)
                    .unwrap_or_default();
                let html = String::from_utf8_lossy(&html).into_owned();
                html.split("\"/vendor/")
                    .skip(1)
                    .filter_map(|rest| rest.split('"').next().map(str::to_string))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(named.len() >= 8, "{named:?}");
        let served: std::collections::BTreeSet<String> =
            vendor_paths().map(|p| p.into_owned()).collect();
        for path in &named {
            assert!(served.contains(path), "{path} is named but not embedded");
        }
        // What else is served is imported by a named file, by relative path.
        for path in served.difference(&named) {
            let file_name = path.rsplit('/').next().unwrap_or_default();
            let imported = named.iter().chain(served.iter()).any(|importer| {
                vendor_file(importer).is_some_and(|a| {
                    String::from_utf8_lossy(&a.bytes).contains(&format!("./{file_name}"))
                })
            });
            assert!(imported, "{path} is embedded but nothing loads it");
        }
    }
}

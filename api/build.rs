//! Gathers the browser libraries the dashboard and GraphiQL load, so that the
//! binary can carry them.
//!
//! The pages name their libraries under `/vendor/` (the import map of
//! `web/index.html`, the tags of `web/graphiql.html`). Those files, and the
//! files they import by relative path, are copied from `web/node_modules`
//! into `$OUT_DIR/vendor`, which `src/http/assets.rs` embeds: nothing else of
//! `node_modules` reaches the binary or the network. The build fails with
//! what to run when `npm ci --prefix web` has not been run.
//!
//! It also bundles the dashboard: esbuild (from `web/node_modules`) joins
//! `web/app/main.js`, every module it imports and the libraries of the
//! import map into one minified module, `$OUT_DIR/bundle/main.js`, which the
//! binary serves in place of the sources (one request instead of sixty);
//! `web/app/boot.js`, which a page loads and which imports `main.js` from
//! beside itself, becomes `bundle/boot.js`.
//! The sources stay plain ES modules, served as they are with `--web-dir`.

#![allow(clippy::expect_used)] // a build script reports by panicking

use std::collections::BTreeSet;
use std::hash::Hasher;
use std::path::{Path, PathBuf};

/// The pages, and whether they load their libraries as ES modules (whose
/// relative imports are followed; GraphiQL's are classic scripts).
const PAGES: [(&str, bool); 2] = [("index.html", true), ("graphiql.html", false)];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let web = manifest.join("../web");
    let modules = web.join("node_modules");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("vendor");

    // Everything the binary embeds from web/ (a new file included).
    for entry in std::fs::read_dir(&web).expect("web/ exists").flatten() {
        let name = entry.file_name();
        if name != "node_modules" && name != "tests" {
            println!("cargo:rerun-if-changed={}", entry.path().display());
        }
    }
    println!("cargo:rerun-if-changed={}", web.display());
    println!(
        "cargo:rerun-if-changed={}",
        web.join("package-lock.json").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        modules.join(".package-lock.json").display()
    );

    let mut wanted: Vec<(String, bool)> = PAGES
        .iter()
        .flat_map(|(page, modules)| {
            let html = std::fs::read_to_string(web.join(page))
                .unwrap_or_else(|e| panic!("cannot read web/{page}: {e}"));
            vendor_references(&html)
                .into_iter()
                .map(|path| (path, *modules))
        })
        .collect();
    let mut files = BTreeSet::new();
    while let Some((path, module)) = wanted.pop() {
        if !files.insert(path.clone()) {
            continue;
        }
        let source = modules.join(&path);
        if !source.is_file() {
            panic!(
                "\n\nweb/node_modules/{path} is missing: the agentmon binary embeds the dashboard's \
                 browser libraries.\nRun `npm ci --prefix web` in the repository, then build again.\n\n"
            );
        }
        if module && (path.ends_with(".js") || path.ends_with(".mjs")) {
            let code = std::fs::read_to_string(&source)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", source.display()));
            wanted.extend(relative_imports(&code).into_iter().map(|import| {
                let dir = Path::new(&path).parent().unwrap_or(Path::new(""));
                (normalize(&dir.join(import)), true)
            }));
        }
    }

    let _ = std::fs::remove_dir_all(&out);
    let mut hash = Fnv::default();
    for path in &files {
        let target = out.join(path);
        std::fs::create_dir_all(target.parent().expect("a file has a folder"))
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", target.display()));
        let bytes = std::fs::read(modules.join(path)).expect("checked above");
        hash.write(path.as_bytes());
        hash.write(&bytes);
        if worth_gzipping(path, &bytes) {
            gzip(&bytes, &out.join(format!("{path}.gz")));
        }
        std::fs::write(&target, bytes)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", target.display()));
    }
    // The libraries' URLs carry this, so browsers may keep them for good.
    println!(
        "cargo:rustc-env=AGENTMON_VENDOR_VERSION={:012x}",
        hash.finish() & 0xffff_ffff_ffff
    );

    let bundle = bundle(&web, &modules, &out.with_file_name("bundle"));
    let mut hash = Fnv::default();
    hash.write(&bundle);
    println!(
        "cargo:rustc-env=AGENTMON_BUNDLE_VERSION={:012x}",
        hash.finish() & 0xffff_ffff_ffff
    );
}

/// Bundles the dashboard with esbuild into `dir/main.js` (the dashboard) and
/// `dir/boot.js` (what a page loads first: the token from a sign-in link and
/// the page's first questions); their bytes, together.
fn bundle(web: &Path, modules: &Path, dir: &Path) -> Vec<u8> {
    // The platform's own binary (npm installs only the one that fits), so
    // the build needs no Node.js; npm's launcher otherwise.
    let esbuild = std::fs::read_dir(modules.join("@esbuild"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|platform| platform.path().join("bin/esbuild"))
        .find(|binary| binary.is_file())
        .unwrap_or_else(|| modules.join(".bin/esbuild"));
    if !esbuild.is_file() {
        panic!(
            "\n\nweb/node_modules/.bin/esbuild is missing: the agentmon binary carries the \
             dashboard bundled.\nRun `npm ci --prefix web` in the repository, then build again.\n\n"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
    let status = std::process::Command::new(&esbuild)
        .current_dir(web)
        .args([
            "main=app/main.js",
            "boot=app/boot.js",
            "--bundle",
            "--format=esm",
            "--minify",
            "--target=es2022",
            "--log-level=warning",
        ])
        .arg(format!("--outdir={}", dir.display()))
        .status()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", esbuild.display()));
    if !status.success() {
        panic!("esbuild could not bundle web/app/main.js and web/app/boot.js ({status}); its messages are above");
    }
    ["main.js", "boot.js"]
        .iter()
        .flat_map(|name| {
            let file = dir.join(name);
            let bytes = std::fs::read(&file)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
            gzip(&bytes, &dir.join(format!("{name}.gz")));
            bytes
        })
        .collect()
}

/// Whether a library file is sent gzipped too: scripts and styles of a
/// kilobyte or more (GraphiQL's 3.5 MB script above all).
fn worth_gzipping(path: &str, bytes: &[u8]) -> bool {
    bytes.len() >= 1024
        && [".js", ".mjs", ".css"]
            .iter()
            .any(|ext| path.ends_with(ext))
}

/// Writes `bytes` gzipped to `to`: served to browsers that accept it (the
/// dashboard's bundle shrinks to about a third).
fn gzip(bytes: &[u8], to: &Path) {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("gzip into memory");
    let zipped = encoder.finish().expect("gzip into memory");
    std::fs::write(to, zipped).unwrap_or_else(|e| panic!("cannot write {}: {e}", to.display()));
}

/// Paths under `/vendor/` that a page names.
fn vendor_references(html: &str) -> Vec<String> {
    html.match_indices("\"/vendor/")
        .filter_map(|(at, _)| {
            let rest = &html[at + "\"/vendor/".len()..];
            rest.find('"').map(|end| rest[..end].to_string())
        })
        .collect()
}

/// Module specifiers starting with `.` in `import … from '…'`, `import '…'`
/// and `import('…')`.
fn relative_imports(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for keyword in ["from", "import"] {
        for (at, _) in code.match_indices(keyword) {
            let rest = code[at + keyword.len()..].trim_start_matches([' ', '\t', '\n', '(']);
            let Some(quote) = rest.chars().next().filter(|c| matches!(c, '\'' | '"')) else {
                continue;
            };
            let rest = &rest[1..];
            if let Some(end) = rest.find(quote) {
                let specifier = &rest[..end];
                if specifier.starts_with("./") || specifier.starts_with("../") {
                    found.push(specifier.to_string());
                }
            }
        }
    }
    found
}

/// `a/b/../c` → `a/c`, with `/` separators.
fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

/// FNV-1a: a stable hash whatever the compiler version.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

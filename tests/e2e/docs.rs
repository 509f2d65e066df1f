//! The documentation stays inside the repository: every relative link of
//! README.md and docs/ names a file of the repository that exists.

use std::path::{Path, PathBuf};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("/"))
        .to_path_buf()
}

/// Targets of `[text](target)` links.
fn links(markdown: &str) -> Vec<String> {
    markdown
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .map(|target| {
            target
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn readme_and_docs_link_only_to_files_of_the_repository() {
    let root = repository()
        .canonicalize()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut files = vec![root.join("README.md")];
    files.extend(
        std::fs::read_dir(root.join("docs"))
            .unwrap_or_else(|e| panic!("docs/: {e}"))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "md")),
    );
    assert!(files.len() >= 5, "README.md and the docs: {files:?}");
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{e}"));
        for target in links(&text) {
            if target.starts_with('#') {
                continue;
            }
            if target.contains("://") {
                let local = ["http://127.0.0.1", "http://localhost"]
                    .iter()
                    .any(|l| target.starts_with(l));
                assert!(
                    local,
                    "{}: the link {target} leaves the repository",
                    file.display()
                );
                continue;
            }
            let path = target.split('#').next().unwrap_or_default();
            let resolved = file.parent().unwrap_or(&root).join(path);
            let resolved = resolved
                .canonicalize()
                .unwrap_or_else(|_| panic!("{}: the link {target} names no file", file.display()));
            assert!(
                resolved.starts_with(&root),
                "{}: the link {target} leaves the repository",
                file.display()
            );
            checked += 1;
        }
        assert!(
            !text.contains("../shared"),
            "{} mentions ../shared, which a clone does not have",
            file.display()
        );
    }
    assert!(checked >= 4, "only {checked} links checked");
}

#[test]
fn links_are_read_from_markdown() {
    assert_eq!(
        links("see [the spec](../shared/SPEC.md) and [x](docs/a.md#b \"t\")"),
        ["../shared/SPEC.md", "docs/a.md#b"]
    );
}

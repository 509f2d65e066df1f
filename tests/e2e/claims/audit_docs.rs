//! The audit actions the docs name are the ones the code writes.

use std::path::Path;

/// Backticked names in `text` between `from` and the next `until` that read
/// as audit actions (`ROLE_SET`, or the old style `org.read`); role names
/// left out.
fn named_actions(text: &str, from: &str, until: &str) -> Vec<String> {
    let start = text
        .find(from)
        .unwrap_or_else(|| panic!("{from:?} is no longer in the docs"));
    let section = &text[start + from.len()..];
    let section = &section[..section.find(until).unwrap_or(section.len())];
    section
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| {
            let upper =
                name.contains('_') && name.chars().all(|c| c.is_ascii_uppercase() || c == '_');
            let dotted = name
                .split_once('.')
                .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
                && name.chars().all(|c| c.is_ascii_lowercase() || c == '.');
            (upper || dotted) && !["ORG_ADMIN", "SUPER_ADMIN"].contains(name)
        })
        .map(str::to_string)
        .collect()
}

fn rust_sources(dir: &Path, into: &mut String) {
    for entry in std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            rust_sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
}

/// README and docs/access.md name audit actions: each is one the code
/// writes.
#[test]
fn the_audit_actions_the_docs_name_are_the_ones_the_code_writes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |file: &str| {
        std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
    };
    let (readme, access, lifecycle) = (
        read("README.md"),
        read("docs/access.md"),
        read("docs/lifecycle.md"),
    );
    let mut named = Vec::new();
    for (file, text, from, until) in [
        ("README.md", &readme, "**The audit log**", "\n- **"),
        (
            "README.md",
            &readme,
            "Both the export and the erasure are written to the audit log",
            ")",
        ),
        (
            "docs/access.md",
            &access,
            "## SUPPORT reads are audited",
            "\n## ",
        ),
        ("docs/access.md", &access, "The actions:", "reads above"),
        (
            "docs/lifecycle.md",
            &lifecycle,
            "Each export is an audit entry",
            ")",
        ),
        (
            "docs/lifecycle.md",
            &lifecycle,
            "The audit log keeps its entries",
            ")",
        ),
    ] {
        let found = named_actions(text, from, until);
        assert!(!found.is_empty(), "{file}: no action named after {from:?}");
        named.extend(found.into_iter().map(|name| (file, name)));
    }
    assert!(named.len() >= 25, "{named:?}");
    let mut code = String::new();
    rust_sources(&root.join("api/src"), &mut code);
    let unwritten: Vec<_> = named
        .iter()
        .filter(|(_, name)| !code.contains(&format!("\"{name}\"")))
        .collect();
    assert!(
        unwritten.is_empty(),
        "actions the docs name that the code never writes: {unwritten:?}"
    );
}

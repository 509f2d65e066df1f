#!/usr/bin/env bash
# Runs agentmon on a fresh machine: installs what it needs when missing
# (PostgreSQL's server binaries, Node.js and the dashboard's browser
# libraries, which the binary embeds), builds the release binary and starts
# `agentmon serve --demo` on its embedded defaults.
#
#   scripts/run.sh [more arguments for agentmon serve]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

command -v cargo >/dev/null || { echo "agentmon is built with Rust: install it from https://rustup.rs, then run this again" >&2; exit 1; }
need_compiler
need_postgres
need_node
need_web_libraries

echo "building agentmon (cargo build --release)"
cargo build --release --locked --bin agentmon
target="${CARGO_TARGET_DIR:-target}"
exec "$target/release/agentmon" serve --demo "$@"

#!/usr/bin/env bash
# Runs every test of agentmon. The tests start their own PostgreSQL (an
# embedded cluster on a free port, shared by the run) and their own
# redis-server processes; the browser tests (web/tests) drive Debian's
# Chromium against `agentmon serve --demo`; the real agents' CLIs
# (tests/agents) send their telemetry to agentmon. This script installs what they
# need when it is missing, and stops the PostgreSQL cluster at the end.
#
#   scripts/test.sh [extra arguments for cargo nextest run]
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib.sh

need_postgres
command -v redis-server >/dev/null || { echo "installing Redis"; apt_install redis-server; }
need_node
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] || { echo "installing Chromium"; apt_install chromium; }
need_web_libraries

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cluster="$CARGO_TARGET_DIR/tmp/agentmon-test-pg/pg"
stop_cluster() {
  [ -f "$cluster/postmaster.pid" ] || return 0
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$(pg_bin)/pg_ctl" stop -D "$cluster" -m fast -w >/dev/null || true
  else "$(pg_bin)/pg_ctl" stop -D "$cluster" -m fast -w >/dev/null || true; fi
}
trap stop_cluster EXIT

status=0
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@" || status=$?
else
  cargo test --workspace --no-fail-fast "$@" || status=$?
fi

# The dashboard in real headless Chromium against `agentmon serve --demo`.
echo "== browser tests (web/tests)"
cargo build --quiet --bin agentmon
AGENTMON_BIN="$CARGO_TARGET_DIR/debug/agentmon" npm test --prefix web || status=$?

# The real agents (Claude Code, Codex; installed from npm into
# AGENT_CLI_DIR on first run) against a fake model API, their telemetry
# sent to agentmon, every figure checked against what they reported.
echo "== real agents (tests/agents)"
AGENTMON_BIN="$CARGO_TARGET_DIR/debug/agentmon" tests/agents/check.sh || status=$?
exit "$status"

#!/usr/bin/env bash
# Runs every test of agentmon. The tests start their own PostgreSQL (an
# embedded cluster on a free port, shared by the run) and their own
# redis-server processes; the browser tests (web/tests) drive Debian's
# Chromium against `agentmon serve --demo`. This script installs what they
# need when it is missing, and stops the PostgreSQL cluster at the end.
#
#   scripts/test.sh [extra arguments for cargo nextest run]
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
apt_install() {
  command -v apt-get >/dev/null || { echo "please install: $*" >&2; exit 1; }
  if [ -z "${APT_UPDATED:-}" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_bin() {
  for d in $(command -v pg_ctl >/dev/null && dirname "$(command -v pg_ctl)") \
           $(command -v pg_config >/dev/null && pg_config --bindir) \
           $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
}

[ -n "$(pg_bin)" ] || { echo "installing PostgreSQL"; apt_install postgresql; }
command -v redis-server >/dev/null || { echo "installing Redis"; apt_install redis-server; }
command -v npm >/dev/null || { echo "installing Node.js"; apt_install nodejs npm; }
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] || { echo "installing Chromium"; apt_install chromium; }
[ -d web/node_modules/playwright-core ] && [ -d web/node_modules/graphiql ] || npm ci --prefix web --no-audit --no-fund

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
exit "$status"

# Shared by scripts/run.sh and scripts/test.sh: install what agentmon needs
# when it is missing (Debian and Ubuntu through apt-get), saying what it
# installs. Source it; it defines functions only.

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "installing needs root or sudo: run as root, or install it yourself: $*" >&2; return 1; fi
}

apt_install() {
  command -v apt-get >/dev/null || { echo "please install: $*" >&2; exit 1; }
  if [ -z "${APT_UPDATED:-}" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The folder holding PostgreSQL's initdb and pg_ctl, if any.
pg_bin() {
  for d in $(command -v pg_ctl >/dev/null && dirname "$(command -v pg_ctl)") \
           $(command -v pg_config >/dev/null && pg_config --bindir) \
           $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
}

# PostgreSQL's server binaries (agentmon runs its own cluster with them),
# Node.js for the dashboard's browser libraries, and those libraries.
need_postgres() { [ -n "$(pg_bin)" ] || { echo "installing PostgreSQL server binaries (apt-get install postgresql)"; apt_install postgresql; }; }
need_node() { command -v npm >/dev/null || { echo "installing Node.js and npm (apt-get install nodejs npm)"; apt_install nodejs npm; }; }
need_web_libraries() {
  local web; web="$(cd "$(dirname "${BASH_SOURCE[0]}")/../web" && pwd)"
  [ -d "$web/node_modules/preact" ] && [ -d "$web/node_modules/graphiql" ] && [ -d "$web/node_modules/playwright-core" ] && [ -x "$web/node_modules/.bin/esbuild" ] \
    || { echo "installing the dashboard's browser libraries (npm ci --prefix web)"; npm ci --prefix "$web" --no-audit --no-fund; }
}
# A C compiler and linker: Rust links with it, and some crates compile C.
need_compiler() { command -v cc >/dev/null || { echo "installing a C compiler and linker (apt-get install build-essential)"; apt_install build-essential; }; }

#!/usr/bin/env bash
# Fuzzes the GraphQL API with schemathesis against a throwaway
# `agentmon serve --demo` (its own data directory and embedded PostgreSQL),
# and fails on any HTTP 5xx or GraphQL error with extensions.code INTERNAL.
#
#   scripts/fuzz.sh            # from any folder; builds nothing
#
# Two passes: every query and mutation with a SUPER_ADMIN token, then
# Mutation.ingestEvents with a producer (ingest) token. Settings (environment):
#   AGENTMON_BIN   the binary to fuzz (default $CARGO_TARGET_DIR/debug/agentmon,
#                  else target/debug/agentmon); it is copied first, so a
#                  rebuild during the run does no harm
#   FUZZ_SECONDS   time budget of both passes together (default 240; the
#                  ingest pass gets a fifth of it)
#   FUZZ_WORKERS   schemathesis workers (default 2)
#   FUZZ_MAX_EXAMPLES  hypothesis examples per operation and round (default 100)
#   FUZZ_SEED      schemathesis seed, to replay a run
# Output: $CARGO_TARGET_DIR/fuzz-out/ (else target/fuzz-out/) keeps the server
# log, schemathesis' output and failures.jsonl (each failing request). The
# last line is `fuzz: N requests, X INTERNAL, Y 5xx`; the exit status is
# non-zero when X or Y is, or when the run could not be done.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$repo/scripts/lib.sh"

target="$(realpath -m "${CARGO_TARGET_DIR:-$repo/target}")"
bin="$(realpath -m "${AGENTMON_BIN:-$target/debug/agentmon}")"
venv="$target/fuzz-venv"
out="$target/fuzz-out"
seconds="${FUZZ_SECONDS:-240}"
workers="${FUZZ_WORKERS:-2}"
max_examples="${FUZZ_MAX_EXAMPLES:-100}"
ingest_seconds=$((seconds / 5 > 10 ? seconds / 5 : 10))
main_seconds=$((seconds - ingest_seconds > 10 ? seconds - ingest_seconds : 10))

[ -x "$bin" ] || { echo "fuzz: no agentmon binary at $bin: build it (cargo build --bin agentmon) or set AGENTMON_BIN" >&2; exit 1; }

# --- schemathesis, in its own virtualenv ------------------------------------
if [ ! -x "$venv/bin/schemathesis" ]; then
  command -v python3 >/dev/null || { echo "installing Python 3 (apt-get install python3 python3-venv)"; apt_install python3 python3-venv; }
  rm -rf "$venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    echo "installing Python's venv module (apt-get install python3-venv)"
    apt_install python3-venv
    rm -rf "$venv"
    python3 -m venv "$venv"
  fi
  echo "installing schemathesis into $venv (pip install schemathesis)"
  "$venv/bin/pip" install -q --disable-pip-version-check schemathesis
fi
echo "fuzz: $("$venv/bin/schemathesis" --version)"
need_postgres
command -v curl >/dev/null || { echo "installing curl (apt-get install curl)"; apt_install curl; }

# --- a throwaway server ------------------------------------------------------
rm -rf "$out"; mkdir -p "$out"
bin_dir="$(mktemp -d)"
data_dir="$(mktemp -d)"
chmod 755 "$data_dir" # the embedded PostgreSQL runs as `postgres` when we are root
server_pid=""

stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
  # The server stops its embedded PostgreSQL on SIGTERM; if it could not
  # (killed, crashed), stop the postmaster itself (SIGINT: fast shutdown).
  local pidfile="$data_dir/pg/postmaster.pid" pg_pid
  if [ -f "$pidfile" ]; then
    pg_pid="$(head -n1 "$pidfile")"
    if [ -n "$pg_pid" ] && kill -0 "$pg_pid" 2>/dev/null; then
      kill -INT "$pg_pid" 2>/dev/null || true
      for _ in $(seq 1 60); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.5; done
    fi
  fi
}
cleanup() {
  local status=$?
  stop_server
  rm -rf "$bin_dir" "$data_dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cp "$bin" "$bin_dir/agentmon"
agentmon="$bin_dir/agentmon"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"

unset DATABASE_URL DATABASE_APP_URL REDIS_URL AGENTMON_WEB_DIR AGENTMON_JWKS AGENTMON_METRICS_TOKEN
export AGENTMON_DATA_DIR="$data_dir"
export AGENTMON_JWT_SECRET="fuzz-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
export AGENTMON_REQUESTS_PER_MINUTE=1000000
export AGENTMON_INGEST_EVENTS_PER_SECOND=1000000
export AGENTMON_LOG_FORMAT=json NO_COLOR=1

echo "fuzz: starting $bin on $base (log: $out/server.log)"
"$agentmon" serve --demo --listen "127.0.0.1:$port" >"$out/server.log" 2>&1 &
server_pid=$!

admin_token="$("$agentmon" token --role SUPER_ADMIN --ttl 2h)"
ingest_token="$("$agentmon" token --ingest --orgs '*' --ttl 2h)"

ready() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ] || return 1
  local orgs
  orgs="$(curl -s "$base/graphql" -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' \
            -d '{"query":"{ orgs { slug } }"}' \
          | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]["orgs"]))' 2>/dev/null)" || true
  [ "${orgs:-0}" -ge 3 ]
}
for i in $(seq 1 300); do
  ready && break
  kill -0 "$server_pid" 2>/dev/null || { echo "fuzz: the server exited; its log:" >&2; tail -n 30 "$out/server.log" >&2; exit 1; }
  [ "$i" = 300 ] && { echo "fuzz: the server was not ready with 3 demo orgs after 5 minutes" >&2; tail -n 30 "$out/server.log" >&2; exit 1; }
  sleep 1
done
echo "fuzz: server ready, demo seeded"

"$agentmon" schema >"$out/schema.graphql"

# Fuzz dictionaries, so that generated queries reach existing orgs rather
# than stopping at NOT_FOUND: the demo's slugs, time zones and a few ids.
# (schemathesis binds them to String/ID/Int arguments only, not to custom
# scalars such as Date.)
slugs="$(curl -s "$base/graphql" -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' \
           -d '{"query":"{ orgs { slug } }"}' \
         | python3 -c 'import json, sys; print(", ".join(json.dumps(o["slug"]) for o in json.load(sys.stdin)["data"]["orgs"]))')"
cat >"$out/schemathesis.toml" <<TOML
[dictionaries.slugs]
values = [$slugs, "fuzz-org", "FUZZ", ""]
[dictionaries.timezones]
values = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "Etc/GMT+12", "Not/AZone", "+05:00"]
[dictionaries.ids]
values = ["demo-admin", "dev", "user-1", "session-1", "run-1", "0", "-1", "00000000-0000-0000-0000-000000000000"]

[parameters]
"*.*.slug" = { dictionary = "slugs", probability = 0.7 }
"*.*.timezone" = { dictionary = "timezones", probability = 0.5 }
"*.*.id" = { dictionary = "ids", probability = 0.3 }
"Mutation.ingestEvents.events[*].org" = { dictionary = "slugs", probability = 0.8 }
"Mutation.ingestEvents.events[*].sessionId" = { dictionary = "ids", probability = 0.5 }
"Mutation.ingestEvents.events[*].userId" = { dictionary = "ids", probability = 0.5 }
"Mutation.ingestEvents.events[*].runId" = { dictionary = "ids", probability = 0.5 }
TOML

# --- the fuzzing -------------------------------------------------------------
export SCHEMATHESIS_HOOKS="$repo/scripts/fuzz/hooks.py"
export FUZZ_FAILURES="$out/failures.jsonl"
: >"$FUZZ_FAILURES"

# fuzz_pass NAME SECONDS TOKEN [schemathesis options...]
fuzz_pass() {
  local name="$1" secs="$2" token="$3" status=0
  shift 3
  echo "fuzz: pass $name, ${secs}s (output: $out/schemathesis-$name.log)"
  FUZZ_STATS="$out/stats-$name.json" timeout --signal=INT --kill-after=20 $((secs + 60)) \
    "$venv/bin/schemathesis" --config-file "$out/schemathesis.toml" run "$out/schema.graphql" --url "$base/graphql" \
      -H "Authorization: Bearer $token" \
      --checks agentmon_no_internal \
      --max-time "$secs" --max-examples "$max_examples" --workers "$workers" \
      --request-timeout 35 --continue-on-failure --suppress-health-check all \
      --generation-database none --no-color --output-truncate true \
      ${FUZZ_SEED:+--seed "$FUZZ_SEED"} "$@" \
      >"$out/schemathesis-$name.log" 2>&1 || status=$?
  tail -n 8 "$out/schemathesis-$name.log" | sed 's/^/  /'
  case "$status" in
    0|1) ;; # 1: schemathesis found failures, counted below
    124) echo "fuzz: pass $name overran its time and was interrupted" ;;
    *) echo "fuzz: schemathesis failed in pass $name (exit $status); see $out/schemathesis-$name.log" >&2; exit 1 ;;
  esac
}
fuzz_pass admin "$main_seconds" "$admin_token" --exclude-name Mutation.ingestEvents
fuzz_pass ingest "$ingest_seconds" "$ingest_token" --include-name Mutation.ingestEvents

# --- the verdict --------------------------------------------------------------
stop_server
"$venv/bin/python" "$repo/scripts/fuzz/summary.py" "$FUZZ_FAILURES" "$out/server.log"
read -r requests internal server_errors < <(
  "$venv/bin/python" - "$out/stats-admin.json" "$out/stats-ingest.json" <<'EOF'
import json, sys
total = [0, 0, 0]
for path in sys.argv[1:]:
    try:
        s = json.load(open(path))
    except (OSError, ValueError):
        total = [-1, -1, -1]  # a pass died before writing its counts
        break
    total = [total[0] + s["requests"], total[1] + s["internal"], total[2] + s["server_errors"]]
print(*total)
EOF
)
echo "fuzz: $requests requests, $internal INTERNAL, $server_errors 5xx"
[ "$requests" -gt 0 ] && [ "$internal" = 0 ] && [ "$server_errors" = 0 ]

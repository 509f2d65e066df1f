# Shared helpers for run-claude.sh / run-codex.sh (sourced).
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLI_DIR=${AGENT_CLI_DIR:-/var/tmp/agent-clis}
CAPTURE_ROOT=${AGENT_CAPTURE_ROOT:-/var/tmp/agent-captures}
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT

wait_port_file() { # $1 = file
  for _ in $(seq 1 100); do
    [ -s "$1" ] && { cat "$1"; return 0; }
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2
  return 1
}

start_capture() { # $1 = out dir; sets OTLP_PORT
  node "$HERE/otlp-capture.mjs" --dir "$1/otlp" --port-file "$1/otlp.port" 2>>"$1/otlp-capture.log" &
  PIDS+=($!)
  OTLP_PORT=$(wait_port_file "$1/otlp.port")
}

# Port on 127.0.0.1 where nothing listens (connection refused), for HTTPS_PROXY.
refusing_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Summarise what was captured: signals, event names, span names, metric names.
summarize() { # $1 = out dir
  node "$HERE/summarize.mjs" "$1/otlp" > "$1/summary.json" 2>"$1/summary.err" || true
  node -e '
    const s=require(process.argv[1]);
    console.log("requests:", JSON.stringify(s.requests));
    console.log("log events:", Object.keys(s.logEvents).join(", ")||"-");
    console.log("spans:", Object.keys(s.spans).join(", ")||"-");
    console.log("metrics:", Object.keys(s.metrics).join(", ")||"-");' "$1/summary.json" || true
}

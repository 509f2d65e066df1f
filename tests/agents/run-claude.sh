#!/usr/bin/env bash
# Runs the real Claude Code CLI offline against fake-anthropic.mjs with its
# OpenTelemetry export pointed at otlp-capture.mjs.
#
#   run-claude.sh [SCENARIO] [json|protobuf] [spans|nospans]
#
# SCENARIO: basic | write | retry | fail | fail-400 | reject | path/to/scenario.json
# Leaves everything in $AGENT_CAPTURE_ROOT/claude-<scenario>-<proto>[-spans]/:
#   otlp/            raw + decoded OTLP requests (see otlp-capture.mjs)
#   requests.jsonl   what the CLI asked the fake model API
#   stdout / stderr  of the CLI; summary.json (summarize.mjs)
# Env: CONTENT=0 to not set OTEL_LOG_USER_PROMPTS / OTEL_LOG_TOOL_DETAILS;
#      CLAUDE_EXTRA_ARGS for more CLI flags; EXTRA_ENV="K=V K2=V2" for more env;
#      OTLP_HEADERS='k=v,k2=v2' for OTEL_EXPORTER_OTLP_HEADERS (may contain spaces);
#      SECOND_PROMPT='...' runs the CLI again with --continue (scenario two-prompts);
#      TAG=suffix to keep variants apart in the capture dir name;
#      OTLP_ENDPOINT=http://host:port/otlp to export there instead of to a
#      capture server (check.sh: a real agentmon); SKIP_SETUP=1 skips setup.sh.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

SCENARIO=${1:-basic}
PROTO=${2:-json}
SPANS=${3:-nospans}
NAME=$(basename "$SCENARIO" .json)
OUT="$CAPTURE_ROOT/claude-$NAME-$PROTO$([ "$SPANS" = spans ] && echo -spans)${TAG:+-$TAG}"
rm -rf "$OUT"
mkdir -p "$OUT/work" "$OUT/home"
if [ "${SKIP_SETUP:-0}" != 1 ]; then
  bash "$HERE/setup.sh" 2>>"$OUT/setup.log" || { echo "setup failed, see $OUT/setup.log" >&2; exit 1; }
fi

if [ -n "${OTLP_ENDPOINT:-}" ]; then
  OTLP_BASE=$OTLP_ENDPOINT
else
  start_capture "$OUT"
  OTLP_BASE="http://127.0.0.1:$OTLP_PORT/otlp"
fi
node "$HERE/fake-anthropic.mjs" --scenario "$SCENARIO" --cwd "$OUT/work" \
  --port-file "$OUT/fake.port" --log "$OUT/requests.jsonl" 2>>"$OUT/fake.log" &
PIDS+=($!)
FAKE_PORT=$(wait_port_file "$OUT/fake.port")
PROXY_PORT=$(refusing_port)

case "$PROTO" in
  json) OTEL_PROTO=http/json ;;
  protobuf) OTEL_PROTO=http/protobuf ;;
  *) echo "protocol must be json or protobuf" >&2; exit 2 ;;
esac

PERMS=(--dangerously-skip-permissions)
[ "$NAME" = reject ] && PERMS=(--permission-mode default)
RETRIES=()
case "$NAME" in fail*) RETRIES=(CLAUDE_CODE_MAX_RETRIES=2) ;; esac
SPAN_ENV=()
[ "$SPANS" = spans ] && SPAN_ENV=(CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1 OTEL_TRACES_EXPORTER=otlp OTEL_TRACES_EXPORT_INTERVAL=500)
CONTENT_ENV=()
[ "${CONTENT:-1}" = 1 ] && CONTENT_ENV=(OTEL_LOG_USER_PROMPTS=1 OTEL_LOG_TOOL_DETAILS=1)

PROMPT=${PROMPT:-"Run echo hi in the shell and tell me what it printed."}
[ "$NAME" = write ] && PROMPT="Create hello.py that prints three lines, then count its lines."

printf '%s' "$PROMPT" > "$OUT/prompt"
cd "$OUT/work"
START=$(date +%s)
# Runs the CLI offline with its telemetry on: claude ARGS... (stdout, stderr files first).
claude_offline() {
  local out=$1 err=$2; shift 2
  env -i \
    PATH="$PATH" HOME="$OUT/home" TERM=dumb LANG=C.UTF-8 SHELL=/bin/bash USER=root \
    IS_SANDBOX=1 \
    ANTHROPIC_BASE_URL="http://127.0.0.1:$FAKE_PORT" \
    ANTHROPIC_API_KEY=sk-ant-fake-key \
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 DISABLE_ERROR_REPORTING=1 \
    HTTPS_PROXY="http://127.0.0.1:$PROXY_PORT" HTTP_PROXY="http://127.0.0.1:$PROXY_PORT" \
    NO_PROXY=127.0.0.1,localhost \
    CLAUDE_CODE_ENABLE_TELEMETRY=1 \
    OTEL_LOGS_EXPORTER=otlp OTEL_METRICS_EXPORTER=otlp \
    OTEL_EXPORTER_OTLP_PROTOCOL=$OTEL_PROTO \
    OTEL_EXPORTER_OTLP_ENDPOINT="$OTLP_BASE" \
    OTEL_METRIC_EXPORT_INTERVAL=1000 OTEL_LOGS_EXPORT_INTERVAL=500 \
    OTEL_RESOURCE_ATTRIBUTES="team.id=platform,repository=acme/widgets,enduser.id=dev-42" \
    ${OTLP_HEADERS:+"OTEL_EXPORTER_OTLP_HEADERS=$OTLP_HEADERS"} \
    "${SPAN_ENV[@]}" "${CONTENT_ENV[@]}" "${RETRIES[@]}" ${EXTRA_ENV:-} \
    timeout 180 "$CLI_DIR/node_modules/.bin/claude" "$@" "${PERMS[@]}" \
      --output-format json ${CLAUDE_EXTRA_ARGS:-} \
    >"$out" 2>"$err"
}
claude_offline "$OUT/stdout" "$OUT/stderr" -p "$PROMPT"
RC=$?
if [ -n "${SECOND_PROMPT:-}" ] && [ "$RC" = 0 ]; then
  # A second prompt in the same conversation (--continue), as a later run.
  claude_offline "$OUT/stdout.2" "$OUT/stderr.2" -p "$SECOND_PROMPT" --continue
  RC=$?
fi
echo "$RC" > "$OUT/exit_code"
echo "claude $NAME/$PROTO/$SPANS: exit $RC in $(( $(date +%s) - START ))s -> $OUT"
if [ -z "${OTLP_ENDPOINT:-}" ]; then
  sleep 1.5   # the CLI flushes on exit; give the capture a moment to write
  summarize "$OUT"
fi

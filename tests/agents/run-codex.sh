#!/usr/bin/env bash
# Runs the real Codex CLI (codex exec) offline against fake-openai-responses.mjs
# with its [otel] export pointed at otlp-capture.mjs.
#
#   run-codex.sh [SCENARIO] [json|protobuf] [spans|nospans]
#
# SCENARIO: basic | two-prompts | retry | fail | fail-400 | failed-event | path/to/scenario.json
# Leaves everything in $AGENT_CAPTURE_ROOT/codex-<scenario>-<proto>[-spans]/ :
#   otlp/ (raw + decoded), requests.jsonl, codex-home/config.toml, stdout, stderr, summary.json
#   (stdout.2, stderr.2 of the second prompt with SECOND_PROMPT)
# Env: CONTENT=0 sets otel.log_user_prompt=false; CODEX_EXTRA_ARGS; TAG=suffix;
#      SECOND_PROMPT='...' runs the CLI again with `codex exec resume --last`
#      (the same session, CODEX_HOME and flags) when the first one exited 0
#      (scenario two-prompts);
#      CODEX_MODEL (default gpt-5.1-codex); GZIP is not configurable in Codex;
#      OTLP_ENDPOINT=http://host:port/otlp to export there instead of to a
#      capture server (check.sh: a real agentmon), with OTLP_HEADERS_TOML the
#      exporters' headers as TOML pairs ('"x-api-key" = "KEY"'); SKIP_SETUP=1.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

SCENARIO=${1:-basic}
PROTO=${2:-json}
SPANS=${3:-nospans}
NAME=$(basename "$SCENARIO" .json)
OUT="$CAPTURE_ROOT/codex-$NAME-$PROTO$([ "$SPANS" = spans ] && echo -spans)${TAG:+-$TAG}"
rm -rf "$OUT"
mkdir -p "$OUT/work" "$OUT/home" "$OUT/codex-home"
if [ "${SKIP_SETUP:-0}" != 1 ]; then
  bash "$HERE/setup.sh" 2>>"$OUT/setup.log" || { echo "setup failed, see $OUT/setup.log" >&2; exit 1; }
fi

if [ -n "${OTLP_ENDPOINT:-}" ]; then
  OTLP="$OTLP_ENDPOINT/v1"
else
  start_capture "$OUT"
  OTLP="http://127.0.0.1:$OTLP_PORT/otlp/v1"
fi
HEADERS_TOML=${OTLP_HEADERS_TOML:-'"x-api-key" = "agentmon-test-key"'}
node "$HERE/fake-openai-responses.mjs" --scenario "$SCENARIO" \
  --port-file "$OUT/fake.port" --log "$OUT/requests.jsonl" --dump-first "$OUT/first-request.json" 2>>"$OUT/fake.log" &
PIDS+=($!)
FAKE_PORT=$(wait_port_file "$OUT/fake.port")
PROXY_PORT=$(refusing_port)

case "$PROTO" in
  json) P=json ;;
  protobuf) P=binary ;;
  *) echo "protocol must be json or protobuf" >&2; exit 2 ;;
esac
exp() { echo "{ otlp-http = { endpoint = \"$OTLP/$1\", protocol = \"$P\", headers = { $HEADERS_TOML } } }"; }
if [ "$SPANS" = spans ]; then TRACE_EXP=$(exp traces); else TRACE_EXP='"none"'; fi
LOG_PROMPT=true; [ "${CONTENT:-1}" = 0 ] && LOG_PROMPT=false
RETRIES=${CODEX_RETRIES:-4}
case "$NAME" in fail*) RETRIES=1 ;; esac

cat > "$OUT/codex-home/config.toml" <<EOF
model = "${CODEX_MODEL:-gpt-5.1-codex}"
model_provider = "fake"
approval_policy = "never"
sandbox_mode = "danger-full-access"
check_for_update_on_startup = false

[model_providers.fake]
name = "Fake Responses"
base_url = "http://127.0.0.1:$FAKE_PORT/v1"
wire_api = "responses"
env_key = "FAKE_OPENAI_API_KEY"
request_max_retries = $RETRIES
stream_max_retries = $RETRIES
stream_idle_timeout_ms = 20000

[analytics]
enabled = false

[otel]
environment = "agentmon-test"
log_user_prompt = $LOG_PROMPT
exporter = $(exp logs)
trace_exporter = $TRACE_EXP
metrics_exporter = $(exp metrics)
EOF

PROMPT=${PROMPT:-"Run echo hi in the shell and tell me what it printed."}
printf '%s' "$PROMPT" > "$OUT/prompt"
cd "$OUT/work"
START=$(date +%s)
# Runs `codex exec [SUBCOMMAND...]` offline with its telemetry on:
# codex_offline STDOUT STDERR PROMPT [SUBCOMMAND ARGS...].
codex_offline() {
  local out=$1 err=$2 prompt=$3; shift 3
  env -i \
    PATH="$PATH" HOME="$OUT/home" TERM=dumb LANG=C.UTF-8 SHELL=/bin/bash USER=root \
    CODEX_HOME="$OUT/codex-home" \
    FAKE_OPENAI_API_KEY=sk-fake-openai \
    HTTPS_PROXY="http://127.0.0.1:$PROXY_PORT" HTTP_PROXY="http://127.0.0.1:$PROXY_PORT" \
    NO_PROXY=127.0.0.1,localhost \
    OTEL_RESOURCE_ATTRIBUTES="team.id=platform,repository=acme/widgets,enduser.id=dev-42" \
    OTEL_BLRP_SCHEDULE_DELAY=${OTEL_BLRP_SCHEDULE_DELAY:-10} OTEL_BSP_SCHEDULE_DELAY=${OTEL_BSP_SCHEDULE_DELAY:-10} \
    OTEL_METRIC_EXPORT_INTERVAL=${OTEL_METRIC_EXPORT_INTERVAL:-1000} \
    RUST_LOG="${RUST_LOG:-warn}" ${EXTRA_ENV:-} \
    timeout 180 "$CLI_DIR/node_modules/.bin/codex" exec "$@" --skip-git-repo-check \
      --dangerously-bypass-approvals-and-sandbox --json ${CODEX_EXTRA_ARGS:-} "$prompt" \
    </dev/null >"$out" 2>"$err"
}
codex_offline "$OUT/stdout" "$OUT/stderr" "$PROMPT"
RC=$?
if [ -n "${SECOND_PROMPT:-}" ] && [ "$RC" = 0 ]; then
  # A second prompt in the same session (the newest one recorded under
  # CODEX_HOME for this directory), as a later turn.
  printf '%s' "$SECOND_PROMPT" > "$OUT/prompt.2"
  codex_offline "$OUT/stdout.2" "$OUT/stderr.2" "$SECOND_PROMPT" resume --last
  RC=$?
fi
echo "$RC" > "$OUT/exit_code"
echo "codex $NAME/$PROTO/$SPANS: exit $RC in $(( $(date +%s) - START ))s -> $OUT"
if [ -z "${OTLP_ENDPOINT:-}" ]; then
  sleep 1.5
  summarize "$OUT"
fi

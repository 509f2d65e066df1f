#!/usr/bin/env bash
# Runs the real Gemini CLI offline against fake-gemini.mjs with its
# OpenTelemetry export pointed at otlp-capture.mjs.
#
#   run-gemini.sh [SCENARIO] [http|grpc] [spans|nospans]
#
# SCENARIO: basic | write | retry | fail-400 | path/to/scenario.json
# The CLI's OTLP "http" protocol is OTLP/HTTP with JSON bodies (its own
# exporters; OTEL_EXPORTER_OTLP_PROTOCOL is not consulted); "grpc" is OTLP/gRPC
# with gzip, received by otlp-grpc-capture.mjs (the CLI keeps only the
# endpoint's origin for gRPC).
# "spans" sets GEMINI_TELEMETRY_TRACES_ENABLED=true: more spans, and the
# gen_ai.client.inference.operation.details events carry the messages.
# Leaves everything in $AGENT_CAPTURE_ROOT/gemini-<scenario>-<proto>[-spans]/:
#   otlp/            raw + decoded OTLP requests (see otlp-capture.mjs)
#   requests.jsonl   what the CLI asked the fake model API
#   stdout / stderr  of the CLI (stdout = its --output-format json result);
#   summary.json     (summarize.mjs); home/.gemini/settings.json as used
# Env: CONTENT=0 to not log prompts (telemetry.logPrompts=false);
#      OUTPUT_FORMAT=text|json|stream-json (default json); GEMINI_EXTRA_ARGS for more CLI flags; EXTRA_ENV="K=V K2=V2" for more env;
#      OTLP_HEADERS='k=v,k2=v2' for OTEL_EXPORTER_OTLP_HEADERS;
#      TAG=suffix to keep variants apart in the capture dir name;
#      OTLP_ENDPOINT=http://host:port/otlp to export there instead of to a
#      capture server; SKIP_SETUP=1 skips the install;
#      GEMINI_CLI_VERSION (default 0.61.0), installed into $AGENT_CLI_DIR/gemini.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

SCENARIO=${1:-basic}
PROTO=${2:-http}
SPANS=${3:-nospans}
NAME=$(basename "$SCENARIO" .json)
OUT="$CAPTURE_ROOT/gemini-$NAME-$PROTO$([ "$SPANS" = spans ] && echo -spans)${TAG:+-$TAG}"
GEMINI_CLI_VERSION=${GEMINI_CLI_VERSION:-0.61.0}
GEMINI_DIR="$CLI_DIR/gemini"
GEMINI="$GEMINI_DIR/node_modules/@google/gemini-cli/bundle/gemini.js"
rm -rf "$OUT"
mkdir -p "$OUT/work" "$OUT/home/.gemini"

if [ "${SKIP_SETUP:-0}" != 1 ] &&
   ! grep -qs "\"version\": \"$GEMINI_CLI_VERSION\"" "$GEMINI_DIR/node_modules/@google/gemini-cli/package.json"; then
  mkdir -p "$GEMINI_DIR"
  npm install --no-audit --no-fund --prefix "$GEMINI_DIR" "@google/gemini-cli@$GEMINI_CLI_VERSION" \
    >>"$OUT/setup.log" 2>&1 || { echo "npm install failed, see $OUT/setup.log" >&2; exit 1; }
fi

case "$PROTO" in
  http | grpc) ;;
  *) echo "protocol must be http or grpc" >&2; exit 2 ;;
esac
TOOLS_DIR=${AGENT_TOOLS_DIR:-/var/tmp/agent-tools}
if [ "$PROTO" = grpc ] && [ -z "${OTLP_ENDPOINT:-}" ] &&
   [ ! -f "$TOOLS_DIR/node_modules/otlp-proto-root/build/src/generated/root.js" ]; then
  # The protobuf decoder otlp-grpc-capture.mjs needs (as setup.sh installs it).
  mkdir -p "$TOOLS_DIR"
  npm install --no-audit --no-fund --prefix "$TOOLS_DIR" \
    "otlp-proto-root@npm:@opentelemetry/otlp-transformer@0.52.1" >>"$OUT/setup.log" 2>&1
fi

if [ -n "${OTLP_ENDPOINT:-}" ]; then
  OTLP_BASE=$OTLP_ENDPOINT
elif [ "$PROTO" = grpc ]; then
  node "$HERE/otlp-grpc-capture.mjs" --dir "$OUT/otlp" --port-file "$OUT/otlp.port" 2>>"$OUT/otlp-capture.log" &
  PIDS+=($!)
  OTLP_BASE="http://127.0.0.1:$(wait_port_file "$OUT/otlp.port")"
else
  start_capture "$OUT"
  OTLP_BASE="http://127.0.0.1:$OTLP_PORT/otlp"
fi
node "$HERE/fake-gemini.mjs" --scenario "$SCENARIO" --cwd "$OUT/work" \
  --port-file "$OUT/fake.port" --log "$OUT/requests.jsonl" 2>>"$OUT/fake.log" &
PIDS+=($!)
FAKE_PORT=$(wait_port_file "$OUT/fake.port")
PROXY_PORT=$(refusing_port)

LOG_PROMPTS=true
[ "${CONTENT:-1}" = 1 ] || LOG_PROMPTS=false
TRACES=false
[ "$SPANS" = spans ] && TRACES=true

# Telemetry goes in settings.json (the env GEMINI_TELEMETRY_* would override
# it); usage statistics (Clearcut), auto-update and folder trust are off.
cat >"$OUT/home/.gemini/settings.json" <<EOF
{
  "security": { "auth": { "selectedType": "gemini-api-key" }, "folderTrust": { "enabled": false } },
  "privacy": { "usageStatisticsEnabled": false },
  "general": { "enableAutoUpdate": false, "enableAutoUpdateNotification": false },
  "telemetry": {
    "enabled": true,
    "target": "local",
    "otlpEndpoint": "$OTLP_BASE",
    "otlpProtocol": "$PROTO",
    "logPrompts": $LOG_PROMPTS,
    "traces": $TRACES
  }
}
EOF

PROMPT=${PROMPT:-"Run echo hi in the shell and tell me what it printed."}
[ "$NAME" = write ] && PROMPT="Create hello.py that prints three lines, then count its lines."
printf '%s' "$PROMPT" > "$OUT/prompt"

cd "$OUT/work"
START=$(date +%s)
env -i \
  PATH="$PATH" HOME="$OUT/home" TERM=dumb LANG=C.UTF-8 SHELL=/bin/bash USER=root \
  GEMINI_API_KEY=fake-gemini-key \
  GOOGLE_GEMINI_BASE_URL="http://127.0.0.1:$FAKE_PORT" \
  HTTPS_PROXY="http://127.0.0.1:$PROXY_PORT" HTTP_PROXY="http://127.0.0.1:$PROXY_PORT" \
  NO_PROXY=127.0.0.1,localhost \
  OTEL_RESOURCE_ATTRIBUTES="team.id=platform,repository=acme/widgets,enduser.id=dev-42" \
  ${OTLP_HEADERS:+"OTEL_EXPORTER_OTLP_HEADERS=$OTLP_HEADERS"} \
  ${EXTRA_ENV:-} \
  timeout 180 node "$GEMINI" -p "$PROMPT" --yolo --skip-trust --output-format "${OUTPUT_FORMAT:-json}" ${GEMINI_EXTRA_ARGS:-} \
  </dev/null >"$OUT/stdout" 2>"$OUT/stderr"
RC=$?
echo "$RC" > "$OUT/exit_code"
echo "gemini $NAME/$PROTO/$SPANS: exit $RC in $(( $(date +%s) - START ))s -> $OUT"
if [ -z "${OTLP_ENDPOINT:-}" ]; then
  sleep 1.5   # the CLI flushes on exit; give the capture a moment to write
  summarize "$OUT"
fi

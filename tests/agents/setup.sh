#!/usr/bin/env bash
# Installs the real agent CLIs, the OpenTelemetry JS SDK used by
# genai-spans.mjs and the protobuf decoder used by otlp-capture.mjs.
# Idempotent; versions can be pinned with CLAUDE_CODE_VERSION / CODEX_VERSION /
# GEMINI_CLI_VERSION (Gemini CLI goes in its own prefix, $CLI_DIR/gemini).
# AGENT_SETUP_TOOLS=0 skips the decoder (check.sh does not capture).
set -euo pipefail
CLI_DIR=${AGENT_CLI_DIR:-/var/tmp/agent-clis}
TOOLS_DIR=${AGENT_TOOLS_DIR:-/var/tmp/agent-tools}
CLAUDE_CODE_VERSION=${CLAUDE_CODE_VERSION:-2.1.332}
CODEX_VERSION=${CODEX_VERSION:-0.171.0}
GEMINI_CLI_VERSION=${GEMINI_CLI_VERSION:-0.61.0}

want() { # $1 = package dir, $2 = version
  [ -f "$1/package.json" ] && grep -q "\"version\": \"$2\"" "$1/package.json"
}

mkdir -p "$CLI_DIR"
if ! want "$CLI_DIR/node_modules/@anthropic-ai/claude-code" "$CLAUDE_CODE_VERSION" ||
   ! want "$CLI_DIR/node_modules/@openai/codex" "$CODEX_VERSION"; then
  npm install --no-audit --no-fund --prefix "$CLI_DIR" \
    "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" "@openai/codex@$CODEX_VERSION" >&2
fi
# Claude Code's postinstall copies the native binary over bin/claude.exe; when
# npm skipped install scripts, do it here.
CC="$CLI_DIR/node_modules/@anthropic-ai/claude-code"
NATIVE="$CLI_DIR/node_modules/@anthropic-ai/claude-code-linux-x64/claude"
if [ -f "$NATIVE" ] && [ "$(stat -c %s "$CC/bin/claude.exe")" -lt 1000000 ]; then
  (cd "$CC" && node install.cjs >&2) || cp "$NATIVE" "$CC/bin/claude.exe"
fi
# Gemini CLI in a prefix of its own (as run-gemini.sh expects it; about 100 MB
# on disk).
GEMINI_DIR="$CLI_DIR/gemini"
if ! want "$GEMINI_DIR/node_modules/@google/gemini-cli" "$GEMINI_CLI_VERSION"; then
  mkdir -p "$GEMINI_DIR"
  npm install --no-audit --no-fund --prefix "$GEMINI_DIR" "@google/gemini-cli@$GEMINI_CLI_VERSION" >&2
fi
# The OpenTelemetry JS SDK and its OTLP trace exporters for genai-spans.mjs,
# as pinned in otel-js/package.json (about 40 MB).
HERE=$(cd "$(dirname "$0")" && pwd)
OTEL_DIR=${AGENT_OTEL_DIR:-$CLI_DIR/otel-js}
if ! cmp -s "$HERE/otel-js/package.json" "$OTEL_DIR/package.json" ||
   [ ! -f "$OTEL_DIR/node_modules/@opentelemetry/exporter-trace-otlp-grpc/package.json" ]; then
  mkdir -p "$OTEL_DIR"
  cp "$HERE/otel-js/package.json" "$OTEL_DIR/package.json"
  (cd "$OTEL_DIR" && npm install --no-audit --no-fund >&2)
fi
if [ "${AGENT_SETUP_TOOLS:-1}" != 0 ] &&
   [ ! -f "$TOOLS_DIR/node_modules/otlp-proto-root/build/src/generated/root.js" ]; then
  # 0.52.x of @opentelemetry/otlp-transformer still ships the protobufjs
  # static module of the OTLP protos (with decode), which later versions dropped.
  mkdir -p "$TOOLS_DIR"
  npm install --no-audit --no-fund --prefix "$TOOLS_DIR" \
    "otlp-proto-root@npm:@opentelemetry/otlp-transformer@0.52.1" >&2
fi
echo "claude: $("$CLI_DIR/node_modules/.bin/claude" --version)" >&2
echo "codex:  $("$CLI_DIR/node_modules/.bin/codex" --version)" >&2
echo "gemini: $(node -p "require('$GEMINI_DIR/node_modules/@google/gemini-cli/package.json').version")" >&2
echo "otel-js: $(node -p "require('$OTEL_DIR/node_modules/@opentelemetry/sdk-trace-base/package.json').version") (sdk-trace-base)" >&2

#!/usr/bin/env bash
# Acceptance check of agentmon's OpenTelemetry receiver with the real Claude
# Code, Codex and Gemini CLIs, offline: each CLI talks to a scripted fake of its model
# API and exports its telemetry to a real `agentmon serve` (embedded
# PostgreSQL, free port, throwaway data directory); the sessions, model
# calls, tool calls and code changes agentmon shows over GraphQL are compared
# with what the CLI printed and what the fake answered. One line per check;
# exits non-zero on any failure. GenAI spans sent by the OpenTelemetry JS
# SDK's OTLP/HTTP (protobuf, JSON) and OTLP/gRPC exporters are checked the
# same way (genai-spans.mjs). See check.mjs for the scenarios.
#
# Env:
#   AGENTMON_BIN   the agentmon binary (default: target/debug/agentmon); not built here
#   AGENT_CLI_DIR  where the CLIs are installed when missing (default /var/tmp/agent-clis);
#                  CLAUDE_CODE_VERSION / CODEX_VERSION / GEMINI_CLI_VERSION pin them (see setup.sh)
#   AGENT_OTEL_DIR where the OpenTelemetry JS SDK goes (default $AGENT_CLI_DIR/otel-js;
#                  pinned in otel-js/package.json)
#   CHECK_ONLY     a regex of scenario ids to run (e.g. 'codex'); CHECK_KEEP=1 keeps the work dir
# Needs: Node.js >= 20.11, npm (first run only), PostgreSQL 15+ server binaries
# (initdb, pg_ctl, as agentmon's embedded cluster needs), git, bash, timeout.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export AGENTMON_BIN=${AGENTMON_BIN:-$ROOT/target/debug/agentmon}
export AGENT_CLI_DIR=${AGENT_CLI_DIR:-/var/tmp/agent-clis}

if [ ! -x "$AGENTMON_BIN" ]; then
  echo "FAIL no agentmon binary at $AGENTMON_BIN: build it (cargo build) or set AGENTMON_BIN" >&2
  exit 2
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=11)?0:1)' 2>/dev/null; then
  echo "FAIL Node.js 20.11 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 2
fi

# The CLIs (about 900 MB on disk) and the OpenTelemetry JS SDK (about 40 MB),
# installed once; the OTLP decoder the capture harness uses is not needed here.
AGENT_SETUP_TOOLS=0 bash "$HERE/setup.sh"

exec node "$HERE/check.mjs"

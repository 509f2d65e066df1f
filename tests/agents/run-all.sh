#!/usr/bin/env bash
# Runs every scenario of both agents (JSON and protobuf, with and without
# spans) and extracts one replayable OTLP/JSON example per event kind into
# $AGENT_CAPTURE_ROOT/examples/{claude,codex}/.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${AGENT_CAPTURE_ROOT:-/var/tmp/agent-captures}
bash "$HERE/setup.sh"

C=(
  "basic json nospans" "basic protobuf nospans" "basic json spans" "basic protobuf spans"
  "write json spans" "commit json spans" "retry json spans" "fail json spans" "fail-400 json spans" "reject json spans"
)
for a in "${C[@]}"; do bash "$HERE/run-claude.sh" $a | head -1; done
CONTENT=0 TAG=nocontent bash "$HERE/run-claude.sh" basic json spans | head -1
TAG=gzip EXTRA_ENV="OTEL_EXPORTER_OTLP_COMPRESSION=gzip" OTLP_HEADERS="Authorization=Bearer agentmon-test-key" \
  bash "$HERE/run-claude.sh" basic protobuf spans | head -1
SECOND_PROMPT="Now say something else." bash "$HERE/run-claude.sh" two-prompts json spans | head -1

X=(
  "basic json nospans" "basic protobuf nospans" "basic json spans" "basic protobuf spans"
  "retry json nospans" "fail json nospans" "fail-400 json nospans" "failed-event json nospans"
)
for a in "${X[@]}"; do bash "$HERE/run-codex.sh" $a | head -1; done
CONTENT=0 TAG=nocontent bash "$HERE/run-codex.sh" basic json nospans | head -1

rm -rf "$ROOT/examples/claude" "$ROOT/examples/codex"
node "$HERE/extract-examples.mjs" "$ROOT/examples" claude \
  "$ROOT/claude-basic-json-spans" \
  "$ROOT/claude-write-json-spans" \
  "$ROOT/claude-commit-json-spans" \
  "$ROOT/claude-fail-json-spans@fail@api_error,api_retries_exhausted,claude_code.llm_request,claude_code.interaction" \
  "$ROOT/claude-fail-400-json-spans@fail-400@api_error" \
  "$ROOT/claude-reject-json-spans@reject@tool_decision,claude_code.tool,claude_code.tool.blocked_on_user" \
  "$ROOT/claude-basic-json-spans-nocontent@nocontent@user_prompt,tool_decision,tool_result,assistant_response,claude_code.interaction,claude_code.tool"
CODEX_SPANS=codex.exec,run_turn,session_task.run,turn/start,thread/start,session_init,codex.sampling,codex.tool_blocking,try_run_sampling_request,run_sampling_request,model_client.stream_responses_api,responses.stream_request,handle_responses,receiving,handle_tool_call,dispatch_tool_call_with_state,exec_command,codex.process.spawn,unified_exec.exec_command,endpoint_session.stream_encoded_json_with,run_hooks_and_record_inputs
node "$HERE/extract-examples.mjs" "$ROOT/examples" codex \
  "$ROOT/codex-basic-json-spans@@codex.conversation_starts,codex.startup_phase,codex.user_prompt,codex.api_request,codex.sse_event,codex.turn_ttft,codex.tool_decision,codex.tool_result,event otel/src/metrics/client.rs:330,$CODEX_SPANS" \
  "$ROOT/codex-basic-json" \
  "$ROOT/codex-retry-json@retry@codex.api_request" \
  "$ROOT/codex-failed-event-json@failed-event@codex.sse_event" \
  "$ROOT/codex-basic-json-nocontent@nocontent@codex.user_prompt,codex.tool_result"
# response.completed with usage is the record that matters most: keep it apart.
node - "$ROOT" <<'EOF'
const fs = require('fs'), path = require('path');
const root = process.argv[2];
const dir = path.join(root, 'codex-basic-json', 'otlp');
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('logs.decoded.json'))) {
  const d = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  for (const rl of d.resourceLogs) for (const sl of rl.scopeLogs) for (const r of sl.logRecords) {
    const a = Object.fromEntries(r.attributes.map((x) => [x.key, x.value]));
    if (a['event.name']?.stringValue === 'codex.sse_event' && a['input_token_count']) {
      fs.writeFileSync(path.join(root, 'examples', 'codex', 'log-codex.sse_event--response.completed-usage.json'),
        JSON.stringify({ resourceLogs: [{ ...rl, scopeLogs: [{ ...sl, logRecords: [r] }] }] }, null, 2) + '\n');
      break;
    }
  }
}
// handle_responses spans: the one that carries the usage (gen_ai.usage.*).
const sdir = path.join(root, 'codex-basic-json-spans', 'otlp');
outer: for (const f of fs.readdirSync(sdir).filter((f) => f.endsWith('traces.decoded.json'))) {
  const d = JSON.parse(fs.readFileSync(path.join(sdir, f), 'utf8'));
  for (const rs of d.resourceSpans) for (const ss of rs.scopeSpans) for (const sp of ss.spans) {
    if (sp.name === 'handle_responses' && sp.attributes.some((a) => a.key === 'gen_ai.usage.input_tokens')) {
      fs.writeFileSync(path.join(root, 'examples', 'codex', 'span-handle_responses--usage.json'),
        JSON.stringify({ resourceSpans: [{ ...rs, scopeSpans: [{ ...ss, spans: [sp] }] }] }, null, 2) + '\n');
      break outer;
    }
  }
}
EOF
ls "$ROOT/examples/claude" "$ROOT/examples/codex"

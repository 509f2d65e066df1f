#!/usr/bin/env node
// Scripted fake of the Anthropic Messages API for running the real Claude Code
// CLI offline (ANTHROPIC_BASE_URL=http://127.0.0.1:PORT).
//
// "Main" requests (those that carry tools, i.e. the agent loop) are answered
// from the scenario's steps in order; every other request (title/topic
// generation, quota probes, ...) gets the scenario's `side` answer. Each step:
//   { errors: [{status, type, message}],   // answered first, one per request (retried by the CLI)
//     fail:   {status, type, message},     // answer every request with this error from now on
//     text: "...", tool_use: {name, input} | [{name, input}, ...],
//     stop_reason: "end_turn" | "tool_use",
//     usage: {input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens} }
// Streaming (stream: true) is answered as SSE, otherwise as one JSON message.
// The --log has one line per request: what was asked, and for each message
// answered its `usage`, `text` and `tool_uses` (check.mjs sums them).
// POST /v1/messages/count_tokens, GET /v1/models[/:id] are answered minimally.
//
// Usage: node fake-anthropic.mjs --scenario NAME|FILE.json [--port 0] [--port-file F]
//        [--log requests.jsonl] [--cwd DIR]   (DIR replaces ${CWD} in tool inputs)

import http from 'node:http';
import { args, loadScenario, log, listen, subst } from './fake-common.mjs';


const U = (input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens) => ({
  input_tokens,
  output_tokens,
  cache_read_input_tokens,
  cache_creation_input_tokens,
});

export const SCENARIOS = {
  // One Bash tool call, then a final answer.
  basic: {
    steps: [
      {
        text: 'I will run the command.',
        tool_use: { name: 'Bash', input: { command: 'echo hi', description: 'Print hi' } },
        usage: U(101, 23, 2002, 503),
      },
      { text: 'The command printed: hi', usage: U(137, 11, 2505, 0) },
    ],
  },
  // Write a file, edit it (lines_of_code added/removed), then Bash, then done.
  write: {
    steps: [
      {
        text: 'Writing the file.',
        tool_use: {
          name: 'Write',
          input: { file_path: '${CWD}/hello.py', content: 'print("hello")\nprint("world")\nprint("!")\n' },
        },
        usage: U(111, 41, 3001, 601),
      },
      {
        text: 'Editing it.',
        tool_use: {
          name: 'Edit',
          input: { file_path: '${CWD}/hello.py', old_string: 'print("world")\nprint("!")\n', new_string: 'print("everyone")\n' },
        },
        usage: U(131, 29, 3602, 0),
      },
      {
        tool_use: { name: 'Bash', input: { command: 'cat hello.py | wc -l', description: 'Count lines' } },
        usage: U(151, 17, 3602, 0),
      },
      { text: 'Wrote hello.py with 2 lines.', usage: U(171, 9, 3602, 20) },
    ],
  },
  // The first main request is answered 529 (overloaded) and then 500 once;
  // the CLI retries, then the basic flow follows.
  retry: {
    steps: [
      {
        errors: [
          { status: 529, type: 'overloaded_error', message: 'Overloaded' },
          { status: 500, type: 'api_error', message: 'Internal server error' },
        ],
        text: 'I will run the command.',
        tool_use: { name: 'Bash', input: { command: 'echo hi', description: 'Print hi' } },
        usage: U(101, 23, 2002, 503),
      },
      { text: 'The command printed: hi', usage: U(137, 11, 2505, 0) },
    ],
  },
  // Every main request fails with 500: the CLI gives up after its retries
  // (run with CLAUDE_CODE_MAX_RETRIES small).
  fail: {
    steps: [{ fail: { status: 500, type: 'api_error', message: 'Internal server error' } }],
  },
  // A request that is not retried (400): fails for good at once.
  'fail-400': {
    steps: [{ fail: { status: 400, type: 'invalid_request_error', message: 'prompt is too long: 999999 tokens > 200000 maximum' } }],
  },
  // Write a file and commit it with git through Bash (commit.count).
  commit: {
    steps: [
      {
        tool_use: { name: 'Write', input: { file_path: '${CWD}/a.txt', content: 'one\ntwo\n' } },
        usage: U(100, 20, 1000, 0),
      },
      {
        tool_use: {
          name: 'Bash',
          input: { command: 'git init -q && git add a.txt && git -c user.email=dev@example.com -c user.name=Dev commit -q -m "add a.txt"', description: 'Commit' },
        },
        usage: U(110, 30, 1100, 0),
      },
      { text: 'Committed.', usage: U(120, 5, 1200, 0) },
    ],
  },
  // For two prompts in one session (run-claude.sh with SECOND_PROMPT=...):
  // prompt 1 = basic (tool + answer), prompt 2 = one text answer.
  'two-prompts': {
    steps: [
      {
        text: 'I will run the command.',
        tool_use: { name: 'Bash', input: { command: 'echo hi', description: 'Print hi' } },
        usage: U(101, 23, 2002, 503),
      },
      { text: 'The command printed: hi', usage: U(137, 11, 2505, 0) },
      { text: 'Second answer.', usage: U(55, 7, 2600, 40) },
    ],
  },
  // Bash is requested; run without --dangerously-skip-permissions so print
  // mode denies it; the model then answers with text.
  reject: {
    steps: [
      {
        text: 'Let me remove that.',
        tool_use: { name: 'Bash', input: { command: 'rm -rf /tmp/agentmon-should-not-exist', description: 'Remove dir' } },
        usage: U(90, 20, 1000, 100),
      },
      { text: 'I was not allowed to run it.', usage: U(120, 8, 1100, 0) },
    ],
  },
};

const DEFAULT_SIDE = { text: 'ok', usage: U(12, 1, 0, 0) };

function main() {
  const scenario = loadScenario(SCENARIOS, args.scenario || 'basic');
  const cwd = args.cwd || process.cwd();
  const steps = subst(scenario.steps, cwd);
  const side = scenario.side || DEFAULT_SIDE;
  let stepIdx = 0;
  let errIdx = 0;
  let reqSeq = 0;


  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const n = ++reqSeq;
      const raw = Buffer.concat(chunks).toString('utf8');
      let body = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {}
      const url = req.url.split('?')[0];
      const entry = {
        n,
        at: new Date().toISOString(),
        method: req.method,
        url: req.url,
        headers: pick(req.headers, ['anthropic-beta', 'anthropic-version', 'user-agent', 'x-app', 'x-stainless-retry-count', 'x-claude-code-session-id']),
      };
      if (body) {
        entry.model = body.model;
        entry.stream = body.stream;
        entry.max_tokens = body.max_tokens;
        entry.tools = Array.isArray(body.tools) ? body.tools.map((t) => t.name) : undefined;
        entry.messages = Array.isArray(body.messages) ? body.messages.length : undefined;
        entry.lastUser = summarizeLast(body.messages);
      }
      const answer = (kind, status, obj) => {
        entry.answer = kind;
        entry.status = status;
        log(entry);
      };

      if (req.method === 'HEAD' || (req.method === 'GET' && (url === '/' || url === ''))) {
        res.writeHead(200);
        res.end();
        return answer('root', 200);
      }
      if (req.method === 'GET' && url.startsWith('/v1/models')) {
        const id = url.slice('/v1/models/'.length);
        const model = (m) => ({ type: 'model', id: m, display_name: m, created_at: '2025-01-01T00:00:00Z' });
        sendJson(res, 200, id ? model(decodeURIComponent(id)) : { data: [model('claude-sonnet-4-5-20250929')], has_more: false, first_id: null, last_id: null });
        return answer('models', 200);
      }
      if (req.method === 'POST' && url === '/v1/messages/count_tokens') {
        sendJson(res, 200, { input_tokens: Math.max(1, Math.round(raw.length / 4)) });
        return answer('count_tokens', 200);
      }
      if (req.method !== 'POST' || url !== '/v1/messages' || !body) {
        sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `fake: no route ${req.method} ${url}` } });
        return answer('404', 404);
      }

      const isMain = Array.isArray(body.tools) && body.tools.length > 0;
      const model = body.model || 'claude-sonnet-4-5-20250929';
      if (!isMain) {
        Object.assign(entry, respondMessage(res, body, model, { ...side, stop_reason: 'end_turn' }, `side-${n}`));
        return answer('side', 200);
      }
      const step = steps[Math.min(stepIdx, steps.length - 1)];
      if (!step) {
        Object.assign(entry, respondMessage(res, body, model, { text: 'Done.', usage: U(1, 1, 0, 0) }, `extra-${n}`));
        return answer('extra', 200);
      }
      if (step.fail) {
        sendError(res, step.fail, n);
        return answer(`fail:${step.fail.status}`, step.fail.status);
      }
      if (step.errors && errIdx < step.errors.length) {
        const e = step.errors[errIdx++];
        sendError(res, e, n);
        return answer(`error:${e.status}`, e.status);
      }
      const thisStep = stepIdx;
      stepIdx++;
      errIdx = 0;
      if (stepIdx > steps.length) {
        Object.assign(entry, respondMessage(res, body, model, { text: 'Done.', usage: U(1, 1, 0, 0) }, `extra-${n}`));
        return answer('extra', 200);
      }
      Object.assign(entry, respondMessage(res, body, model, step, `s${thisStep}-${n}`));
      entry.step = thisStep;
      return answer(`step:${thisStep}`, 200);
    });
  });

  listen(server, 'fake-anthropic');
}

function pick(o, keys) {
  const r = {};
  for (const k of keys) if (o[k] !== undefined) r[k] = o[k];
  return r;
}

function summarizeLast(messages) {
  if (!Array.isArray(messages) || !messages.length) return undefined;
  const m = messages[messages.length - 1];
  const c = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content || [];
  return c.map((b) => (b.type === 'text' ? `text:${String(b.text).slice(0, 80)}` : b.type === 'tool_result' ? `tool_result:${b.tool_use_id}:${b.is_error ? 'error' : 'ok'}` : b.type)).join(' | ');
}

function sendJson(res, status, obj, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(obj));
}

function sendError(res, e, n) {
  sendJson(
    res,
    e.status,
    { type: 'error', error: { type: e.type || 'api_error', message: e.message || 'error' }, request_id: `req_fake_err_${n}` },
    { 'request-id': `req_fake_err_${n}`, 'retry-after-ms': '50', 'retry-after': '0' },
  );
}

function contentBlocks(step, tag) {
  const blocks = [];
  if (step.text) blocks.push({ type: 'text', text: step.text });
  const uses = step.tool_use ? (Array.isArray(step.tool_use) ? step.tool_use : [step.tool_use]) : [];
  uses.forEach((u, i) => blocks.push({ type: 'tool_use', id: `toolu_fake_${tag}_${i}`.replace(/[^A-Za-z0-9_]/g, '_'), name: u.name, input: u.input || {} }));
  return blocks;
}

/** Answers one message; returns what it answered (its usage and tool uses), for the log. */
function respondMessage(res, body, model, step, tag) {
  const answered = respond(res, body, model, step, tag);
  return {
    usage: answered.usage,
    text: answered.blocks.filter((b) => b.type === 'text').map((b) => b.text).join(''),
    tool_uses: answered.blocks.filter((b) => b.type === 'tool_use').map((b) => ({ id: b.id, name: b.name, input: b.input })),
  };
}

function respond(res, body, model, step, tag) {
  const blocks = contentBlocks(step, tag);
  const hasTool = blocks.some((b) => b.type === 'tool_use');
  const stop_reason = step.stop_reason || (hasTool ? 'tool_use' : 'end_turn');
  const usage = { ...U(0, 0, 0, 0), ...(step.usage || {}) };
  const id = `msg_fake_${tag}`.replace(/[^A-Za-z0-9_]/g, '_');
  const reqId = `req_fake_${tag}`.replace(/[^A-Za-z0-9_]/g, '_');
  const fullUsage = {
    input_tokens: usage.input_tokens,
    cache_creation_input_tokens: usage.cache_creation_input_tokens,
    cache_read_input_tokens: usage.cache_read_input_tokens,
    cache_creation: { ephemeral_5m_input_tokens: usage.cache_creation_input_tokens, ephemeral_1h_input_tokens: 0 },
    output_tokens: usage.output_tokens,
    service_tier: 'standard',
  };
  if (!body.stream) {
    sendJson(
      res,
      200,
      { id, type: 'message', role: 'assistant', model, content: blocks, stop_reason, stop_sequence: null, usage: fullUsage },
      { 'request-id': reqId },
    );
    return { blocks, usage };
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': reqId });
  const ev = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  ev('message_start', {
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...fullUsage, output_tokens: 1 },
    },
  });
  blocks.forEach((b, index) => {
    if (b.type === 'text') {
      ev('content_block_start', { index, content_block: { type: 'text', text: '' } });
      const half = Math.ceil(b.text.length / 2);
      ev('content_block_delta', { index, delta: { type: 'text_delta', text: b.text.slice(0, half) } });
      ev('content_block_delta', { index, delta: { type: 'text_delta', text: b.text.slice(half) } });
    } else {
      ev('content_block_start', { index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
      const json = JSON.stringify(b.input);
      const half = Math.ceil(json.length / 2);
      ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json.slice(0, half) } });
      ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json.slice(half) } });
    }
    ev('content_block_stop', { index });
  });
  ev('message_delta', {
    delta: { stop_reason, stop_sequence: null },
    usage: {
      input_tokens: usage.input_tokens,
      cache_creation_input_tokens: usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens,
      output_tokens: usage.output_tokens,
    },
  });
  ev('message_stop', {});
  res.end();
  return { blocks, usage };
}

main();

#!/usr/bin/env node
// Scripted fake of the OpenAI Responses API (POST /v1/responses, SSE) for
// running the real Codex CLI offline (model_providers.<x>.base_url =
// http://127.0.0.1:PORT/v1, wire_api = "responses").
//
// Every POST /v1/responses is answered from the scenario's steps in order.
// Each step:
//   { errors: [{status, message}],      // answered first, one per request (retried by the CLI)
//     fail: {status, message},          // answer every request with this error from now on
//     failed_event: {code, message},    // answer 200 + SSE response.failed (instead of completing)
//     reasoning: "summary text",        // a reasoning output item
//     shell: "echo hi",                 // a function call to the shell tool the request offers
//     text: "final answer",
//     usage: {input_tokens, cached_tokens, output_tokens, reasoning_tokens} }
// The shell call is shaped for whichever tool the request offers:
// exec_command {cmd}, shell_command {command}, shell {command: [...]}, or local_shell.
//
// The --log has one line per request: what was asked, and for each response
// completed its `usage` (as in the step) and `shell` commands (check.mjs sums them).
//
// Scenarios: basic, two-prompts, retry, fail, fail-400, failed-event (SCENARIOS).
//
// Usage: node fake-openai-responses.mjs --scenario NAME|FILE.json [--port 0]
//        [--port-file F] [--log requests.jsonl]

import http from 'node:http';
import { args, loadScenario, log, listen } from './fake-common.mjs';
import fs from 'node:fs';


const U = (input_tokens, cached_tokens, output_tokens, reasoning_tokens) => ({
  input_tokens,
  cached_tokens,
  output_tokens,
  reasoning_tokens,
});

export const SCENARIOS = {
  basic: {
    steps: [
      { reasoning: 'Need to run echo.', shell: 'echo hi', usage: U(1201, 1024, 57, 32) },
      { text: 'The command printed: hi', usage: U(1302, 1152, 21, 8) },
    ],
  },
  // The basic flow answers the first prompt; the third step answers a second
  // prompt in the same session (run-codex.sh with SECOND_PROMPT: `codex exec
  // resume --last`) with text and its own usage.
  'two-prompts': {
    steps: [
      { reasoning: 'Need to run echo.', shell: 'echo hi', usage: U(1201, 1024, 57, 32) },
      { text: 'The command printed: hi', usage: U(1302, 1152, 21, 8) },
      { text: 'Second answer.', usage: U(1400, 1280, 12, 4) },
    ],
  },
  // Two errors answered first (retried), then the basic flow.
  retry: {
    steps: [
      {
        errors: [
          { status: 500, message: 'Internal server error' },
          { status: 503, message: 'Service unavailable' },
        ],
        reasoning: 'Need to run echo.',
        shell: 'echo hi',
        usage: U(1201, 1024, 57, 32),
      },
      { text: 'The command printed: hi', usage: U(1302, 1152, 21, 8) },
    ],
  },
  // Every request fails with 500 until the CLI gives up.
  fail: { steps: [{ fail: { status: 500, message: 'Internal server error' } }] },
  // 400: not retried.
  'fail-400': { steps: [{ fail: { status: 400, message: 'Invalid request: context_length_exceeded' } }] },
  // A stream that ends with response.failed.
  'failed-event': {
    steps: [{ failed_event: { code: 'server_error', message: 'The model failed to produce a response.' } }],
  },
};

function toolNames(body) {
  return (body.tools || []).map((t) => t.name || t.type);
}

function shellCall(body, command, callId) {
  const names = toolNames(body);
  if (names.includes('exec_command'))
    return { type: 'function_call', name: 'exec_command', arguments: JSON.stringify({ cmd: command, yield_time_ms: 2000 }), call_id: callId };
  if (names.includes('shell_command'))
    return { type: 'function_call', name: 'shell_command', arguments: JSON.stringify({ command, timeout_ms: 10000 }), call_id: callId };
  if (names.includes('shell'))
    return { type: 'function_call', name: 'shell', arguments: JSON.stringify({ command: ['bash', '-lc', command], timeout_ms: 10000 }), call_id: callId };
  if (names.includes('local_shell'))
    return { type: 'local_shell_call', call_id: callId, status: 'completed', action: { type: 'exec', command: ['bash', '-lc', command] } };
  return { type: 'function_call', name: 'shell', arguments: JSON.stringify({ command: ['bash', '-lc', command] }), call_id: callId };
}

function main() {
  const scenario = loadScenario(SCENARIOS, args.scenario || 'basic');
  const steps = scenario.steps;
  let stepIdx = 0;
  let errIdx = 0;
  let seq = 0;

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const n = ++seq;
      const raw = Buffer.concat(chunks).toString('utf8');
      let body = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {}
      const url = req.url.split('?')[0];
      const entry = { n, at: new Date().toISOString(), method: req.method, url: req.url, headers: pick(req.headers, ['user-agent', 'originator', 'session_id', 'conversation_id', 'x-codex-turn-metadata', 'openai-beta', 'version', 'content-encoding']) };
      if (body) {
        entry.model = body.model;
        entry.stream = body.stream;
        entry.tools = toolNames(body);
        entry.input = Array.isArray(body.input) ? body.input.map((i) => i.type || i.role).join(',') : undefined;
        entry.reasoning = body.reasoning;
        entry.prompt_cache_key = body.prompt_cache_key;
      }
      const done = (answer, status) => log({ ...entry, answer, status });

      if (req.method === 'GET' && /\/models\/?$/.test(url)) {
        // Codex's own model catalogue format; an empty list makes it use its built-in info.
        sendJson(res, 200, { models: [] });
        return done('models', 200);
      }
      if (req.method !== 'POST' || !/\/responses\/?$/.test(url) || !body) {
        sendJson(res, 404, { error: { message: `fake: no route ${req.method} ${url}`, type: 'invalid_request_error' } });
        return done('404', 404);
      }
      if (args['dump-first'] && n === 1) fs.writeFileSync(args['dump-first'], JSON.stringify(body, null, 2));

      const step = steps[Math.min(stepIdx, steps.length - 1)];
      if (step.fail) {
        sendError(res, step.fail);
        return done(`fail:${step.fail.status}`, step.fail.status);
      }
      if (step.errors && errIdx < step.errors.length) {
        const e = step.errors[errIdx++];
        sendError(res, e);
        return done(`error:${e.status}`, e.status);
      }
      const idx = stepIdx;
      if (stepIdx < steps.length) stepIdx++;
      errIdx = 0;
      const eff = idx < steps.length ? step : { text: 'Done.', usage: U(10, 0, 2, 0) };
      Object.assign(entry, stream(res, body, eff, `${idx}_${n}`));
      return done(idx < steps.length ? `step:${idx}` : 'extra', 200);
    });
  });

  listen(server, 'fake-openai');
}

function pick(o, keys) {
  const r = {};
  for (const k of keys) if (o[k] !== undefined) r[k] = o[k];
  return r;
}

function sendJson(res, status, obj, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(obj));
}

function sendError(res, e) {
  sendJson(res, e.status, { error: { message: e.message, type: e.type || (e.status >= 500 ? 'server_error' : 'invalid_request_error'), code: e.code || null } }, { 'retry-after-ms': '50', 'x-request-id': `req_fake_err` });
}

function stream(res, body, step, tag) {
  const respId = `resp_fake_${tag}`;
  const model = body.model || 'gpt-fake';
  const created_at = Math.floor(Date.now() / 1000);
  const u = { ...U(0, 0, 0, 0), ...(step.usage || {}) };
  const usage = {
    input_tokens: u.input_tokens,
    input_tokens_details: { cached_tokens: u.cached_tokens },
    output_tokens: u.output_tokens,
    output_tokens_details: { reasoning_tokens: u.reasoning_tokens },
    total_tokens: u.input_tokens + u.output_tokens,
  };
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': `req_fake_${tag}` });
  let sn = 0;
  const ev = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sn++, ...data })}\n\n`);
  const base = { id: respId, object: 'response', created_at, model, status: 'in_progress', output: [] };
  ev('response.created', { response: base });
  ev('response.in_progress', { response: base });
  if (step.failed_event) {
    ev('response.failed', { response: { ...base, status: 'failed', error: step.failed_event, usage: null } });
    res.end();
    return { failed: step.failed_event };
  }
  const output = [];
  let oi = 0;
  if (step.reasoning) {
    const item = { id: `rs_fake_${tag}`, type: 'reasoning', summary: [{ type: 'summary_text', text: step.reasoning }] };
    ev('response.output_item.added', { output_index: oi, item: { ...item, summary: [] } });
    ev('response.reasoning_summary_part.added', { item_id: item.id, output_index: oi, summary_index: 0, part: { type: 'summary_text', text: '' } });
    ev('response.reasoning_summary_text.delta', { item_id: item.id, output_index: oi, summary_index: 0, delta: step.reasoning });
    ev('response.reasoning_summary_text.done', { item_id: item.id, output_index: oi, summary_index: 0, text: step.reasoning });
    ev('response.reasoning_summary_part.done', { item_id: item.id, output_index: oi, summary_index: 0, part: { type: 'summary_text', text: step.reasoning } });
    ev('response.output_item.done', { output_index: oi, item });
    output.push(item);
    oi++;
  }
  if (step.text) {
    const id = `msg_fake_${tag}`;
    const part = { type: 'output_text', text: step.text, annotations: [] };
    ev('response.output_item.added', { output_index: oi, item: { id, type: 'message', role: 'assistant', status: 'in_progress', content: [] } });
    ev('response.content_part.added', { item_id: id, output_index: oi, content_index: 0, part: { ...part, text: '' } });
    const half = Math.ceil(step.text.length / 2);
    ev('response.output_text.delta', { item_id: id, output_index: oi, content_index: 0, delta: step.text.slice(0, half) });
    ev('response.output_text.delta', { item_id: id, output_index: oi, content_index: 0, delta: step.text.slice(half) });
    ev('response.output_text.done', { item_id: id, output_index: oi, content_index: 0, text: step.text });
    ev('response.content_part.done', { item_id: id, output_index: oi, content_index: 0, part });
    const item = { id, type: 'message', role: 'assistant', status: 'completed', content: [part] };
    ev('response.output_item.done', { output_index: oi, item });
    output.push(item);
    oi++;
  }
  if (step.shell) {
    const call = { id: `fc_fake_${tag}`, status: 'completed', ...shellCall(body, step.shell, `call_fake_${tag}`) };
    ev('response.output_item.added', { output_index: oi, item: { ...call, status: 'in_progress', arguments: call.arguments !== undefined ? '' : undefined } });
    if (call.arguments !== undefined) {
      ev('response.function_call_arguments.delta', { item_id: call.id, output_index: oi, delta: call.arguments });
      ev('response.function_call_arguments.done', { item_id: call.id, output_index: oi, arguments: call.arguments });
    }
    ev('response.output_item.done', { output_index: oi, item: call });
    output.push(call);
    oi++;
  }
  ev('response.completed', { response: { ...base, status: 'completed', output, usage } });
  res.end();
  return { usage: u, shell: step.shell ? [step.shell] : [] };
}

main();

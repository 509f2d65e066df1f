#!/usr/bin/env node
// Scripted fake of the Gemini API (generativelanguage v1beta) for running the
// real Gemini CLI offline (GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:PORT).
//
// "Main" requests (those that declare tools, i.e. the agent loop) are answered
// from the scenario's steps in order; every other generateContent request
// (model router classifier, next-speaker check, loop detection, summaries, ...)
// gets a side answer: when it asks for JSON (responseMimeType
// application/json) an object built from its responseJsonSchema /
// responseSchema (enums take their first value; see KEY_VALUES),
// otherwise the scenario's `side` text. Each step:
//   { errors: [{status, message}],     // answered first, one per request (retried by the CLI)
//     fail:   {status, message},       // answer every request with this error from now on
//     thought: "...",                  // a thought part ({text, thought: true})
//     text: "...", call: {name, args} | [{name, args}, ...],   // functionCall parts
//     finishReason: "STOP",
//     usage: {promptTokenCount, candidatesTokenCount, cachedContentTokenCount,
//             thoughtsTokenCount, toolUsePromptTokenCount} }  // totalTokenCount is derived
// As the real API: promptTokenCount includes cachedContentTokenCount, and
// totalTokenCount = prompt + candidates + thoughts + toolUsePrompt.
// :streamGenerateContent is answered as SSE (alt=sse; usageMetadata only on
// the last chunk), :generateContent as one JSON response. :countTokens,
// :embedContent, :batchEmbedContents, GET models[/id] and Code Assist
// methods (loadCodeAssist, ...) are answered minimally.
// The --log has one line per request: what was asked and what was answered
// (usage, text, function calls).
//
// Usage: node fake-gemini.mjs --scenario NAME|FILE.json [--port 0] [--port-file F]
//        [--log requests.jsonl] [--cwd DIR]   (DIR replaces ${CWD} in call args)

import http from 'node:http';
import { args, loadScenario, log, listen, subst } from './fake-common.mjs';


const U = (promptTokenCount, candidatesTokenCount, cachedContentTokenCount = 0, thoughtsTokenCount = 0) => ({
  promptTokenCount,
  candidatesTokenCount,
  cachedContentTokenCount,
  thoughtsTokenCount,
});

export const SCENARIOS = {
  // One run_shell_command call, then a final answer.
  basic: {
    steps: [
      {
        thought: 'The user wants me to run echo hi.',
        text: 'I will run the command.',
        call: { name: 'run_shell_command', args: { command: 'echo hi', description: 'Print hi' } },
        usage: U(2101, 23, 1500, 40),
      },
      { text: 'The command printed: hi', usage: U(2237, 11, 2000, 7) },
    ],
  },
  // write_file, then run_shell_command, then done.
  write: {
    steps: [
      {
        text: 'Writing the file.',
        call: { name: 'write_file', args: { file_path: '${CWD}/hello.py', content: 'print("hello")\nprint("world")\nprint("!")\n' } },
        usage: U(3111, 41, 3000, 0),
      },
      {
        call: { name: 'run_shell_command', args: { command: 'wc -l hello.py', description: 'Count lines' } },
        usage: U(3251, 17, 3000, 12),
      },
      { text: 'Wrote hello.py with 3 lines.', usage: U(3371, 9, 3200, 0) },
    ],
  },
  // The first main request is answered 429 and then 503 once; the CLI retries.
  retry: {
    steps: [
      {
        errors: [
          { status: 429, message: 'Resource has been exhausted (e.g. check quota).' },
          { status: 503, message: 'The model is overloaded. Please try again later.' },
        ],
        text: 'I will run the command.',
        call: { name: 'run_shell_command', args: { command: 'echo hi', description: 'Print hi' } },
        usage: U(2101, 23, 1500, 40),
      },
      { text: 'The command printed: hi', usage: U(2237, 11, 2000, 7) },
    ],
  },
  // A request that is not retried (400): fails for good at once.
  'fail-400': {
    steps: [{ fail: { status: 400, message: 'The input token count (999999) exceeds the maximum number of tokens allowed (1048576).' } }],
  },
};

const DEFAULT_SIDE = { text: 'ok', usage: U(12, 1) };
const STATUS = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

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
      const [url] = req.url.split('?');
      const entry = {
        n,
        at: new Date().toISOString(),
        method: req.method,
        url: req.url,
        headers: pick(req.headers, ['user-agent', 'x-goog-api-client', 'x-goog-api-key', 'authorization', 'x-gemini-api-privileged-user-id']),
      };
      const m = /^\/(?:v1beta|v1alpha|v1)\/(?:(?:tunedModels|models)\/)?([^:]+)(?::(\w+))?$/.exec(url);
      const model = m ? decodeURIComponent(m[1]) : undefined;
      const method = m ? m[2] : undefined;
      if (body) {
        entry.model = model;
        entry.method = method;
        entry.tools = (body.tools || body.request?.tools || []).flatMap((t) => (t.functionDeclarations || []).map((f) => f.name));
        const gc = body.generationConfig || body.config || {};
        entry.responseMimeType = gc.responseMimeType;
        entry.thinkingConfig = gc.thinkingConfig;
        entry.contents = Array.isArray(body.contents) ? body.contents.length : undefined;
        entry.lastContent = summarizeLast(body.contents);
      }
      const answer = (kind, status) => {
        entry.answer = kind;
        entry.status = status;
        log(entry);
      };

      if (req.method === 'GET' && /^\/(v1beta|v1alpha|v1)\/models\/?$/.test(url)) {
        sendJson(res, 200, { models: [modelInfo('gemini-2.5-pro'), modelInfo('gemini-2.5-flash'), modelInfo('gemini-2.5-flash-lite')] });
        return answer('models', 200);
      }
      if (req.method === 'GET' && m && !method) {
        sendJson(res, 200, modelInfo(model));
        return answer('model', 200);
      }
      // Code Assist (OAuth) endpoints, in case the CLI probes them.
      const ca = /^\/v1internal:(\w+)$/.exec(url);
      if (ca) {
        const r = {
          loadCodeAssist: { currentTier: { id: 'standard-tier', name: 'Standard' }, cloudaicompanionProject: 'fake-project', allowedTiers: [] },
          onboardUser: { done: true, response: { cloudaicompanionProject: { id: 'fake-project' } } },
          retrieveUserQuota: { buckets: [] },
          listExperiments: { experimentIds: [], flags: [] },
          recordCodeAssistMetrics: {},
        }[ca[1]];
        sendJson(res, r ? 200 : 404, r || { error: { code: 404, message: `fake: no route ${url}`, status: 'NOT_FOUND' } });
        return answer(`code-assist:${ca[1]}`, r ? 200 : 404);
      }
      if (req.method !== 'POST' || !m || !body) {
        sendJson(res, 404, { error: { code: 404, message: `fake: no route ${req.method} ${url}`, status: 'NOT_FOUND' } });
        return answer('404', 404);
      }
      if (method === 'countTokens') {
        sendJson(res, 200, { totalTokens: Math.max(1, Math.round(raw.length / 4)) });
        return answer('countTokens', 200);
      }
      if (method === 'embedContent' || method === 'batchEmbedContents') {
        const e = { values: Array.from({ length: 8 }, (_, i) => i / 8) };
        sendJson(res, 200, method === 'embedContent' ? { embedding: e } : { embeddings: (body.requests || [0]).map(() => e) });
        return answer(method, 200);
      }
      if (method !== 'generateContent' && method !== 'streamGenerateContent') {
        sendJson(res, 404, { error: { code: 404, message: `fake: no method ${method}`, status: 'NOT_FOUND' } });
        return answer('404', 404);
      }
      const stream = method === 'streamGenerateContent';
      const isMain = entry.tools.length > 0;
      if (!isMain) {
        const gc = body.generationConfig || {};
        const json = /json/.test(gc.responseMimeType || '');
        const sideStep = json
          ? { text: JSON.stringify(fromSchema(gc.responseJsonSchema || gc.responseSchema || {}, '')), usage: side.usage }
          : side;
        Object.assign(entry, respond(res, stream, model, sideStep, `side-${n}`));
        return answer(json ? 'side-json' : 'side', 200);
      }
      const step = steps[Math.min(stepIdx, steps.length - 1)];
      if (!step) {
        Object.assign(entry, respond(res, stream, model, { text: 'Done.', usage: U(1, 1) }, `extra-${n}`));
        return answer('extra', 200);
      }
      if (step.fail) {
        sendError(res, step.fail);
        return answer(`fail:${step.fail.status}`, step.fail.status);
      }
      if (step.errors && errIdx < step.errors.length) {
        const e = step.errors[errIdx++];
        sendError(res, e);
        return answer(`error:${e.status}`, e.status);
      }
      const thisStep = stepIdx;
      stepIdx++;
      errIdx = 0;
      if (stepIdx > steps.length) {
        Object.assign(entry, respond(res, stream, model, { text: 'Done.', usage: U(1, 1) }, `extra-${n}`));
        return answer('extra', 200);
      }
      Object.assign(entry, respond(res, stream, model, step, `s${thisStep}-${n}`));
      entry.step = thisStep;
      return answer(`step:${thisStep}`, 200);
    });
  });

  listen(server, 'fake-gemini');
}

function modelInfo(name) {
  return {
    name: `models/${name}`,
    baseModelId: name,
    version: '001',
    displayName: name,
    inputTokenLimit: 1048576,
    outputTokenLimit: 65536,
    supportedGenerationMethods: ['generateContent', 'countTokens'],
    thinking: true,
  };
}

// Values for known keys of the CLI's utility requests: the next-speaker check
// hands the turn back to the user; the numerical router (score 1..100) is
// told the task is hard, so it picks the pro model.
const KEY_VALUES = { next_speaker: 'user', complexity_score: 100 };

// A minimal value satisfying a JSON schema (or a Gemini Schema with TYPE names).
function fromSchema(s, key) {
  if (!s || typeof s !== 'object') return {};
  if (key in KEY_VALUES) return KEY_VALUES[key];
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  const t = String(Array.isArray(s.type) ? s.type[0] : s.type || (s.properties ? 'object' : 'string')).toLowerCase();
  if (t === 'object') {
    const o = {};
    for (const [k, v] of Object.entries(s.properties || {})) o[k] = fromSchema(v, k);
    return o;
  }
  if (t === 'array') return [];
  if (t === 'boolean') return false;
  if (t === 'integer' || t === 'number') return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 0);
  return key === 'reasoning' ? 'fake reasoning' : 'ok';
}

function pick(o, keys) {
  const r = {};
  for (const k of keys) if (o[k] !== undefined) r[k] = k.includes('key') || k === 'authorization' ? '<redacted>' : o[k];
  return r;
}

function summarizeLast(contents) {
  if (!Array.isArray(contents) || !contents.length) return undefined;
  const c = contents[contents.length - 1];
  return `${c.role}: ` + (c.parts || [])
    .map((p) => (p.text !== undefined ? `text:${String(p.text).slice(0, 80)}` : p.functionResponse ? `functionResponse:${p.functionResponse.name}` : p.functionCall ? `functionCall:${p.functionCall.name}` : Object.keys(p).join(',')))
    .join(' | ');
}

function sendJson(res, status, obj, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(JSON.stringify(obj));
}

function sendError(res, e) {
  sendJson(res, e.status, { error: { code: e.status, message: e.message || 'error', status: STATUS[e.status] || 'UNKNOWN' } });
}

function usageOf(step) {
  const u = { ...U(0, 0), ...(step.usage || {}) };
  const total = u.promptTokenCount + u.candidatesTokenCount + (u.thoughtsTokenCount || 0) + (u.toolUsePromptTokenCount || 0);
  const out = { promptTokenCount: u.promptTokenCount, candidatesTokenCount: u.candidatesTokenCount, totalTokenCount: total };
  if (u.cachedContentTokenCount) out.cachedContentTokenCount = u.cachedContentTokenCount;
  if (u.thoughtsTokenCount) out.thoughtsTokenCount = u.thoughtsTokenCount;
  if (u.toolUsePromptTokenCount) out.toolUsePromptTokenCount = u.toolUsePromptTokenCount;
  out.promptTokensDetails = [{ modality: 'TEXT', tokenCount: u.promptTokenCount }];
  if (u.cachedContentTokenCount) out.cacheTokensDetails = [{ modality: 'TEXT', tokenCount: u.cachedContentTokenCount }];
  return out;
}

/** Answers one generateContent / streamGenerateContent; returns what it answered, for the log. */
function respond(res, stream, model, step, tag) {
  const usageMetadata = usageOf(step);
  const responseId = `resp_fake_${tag}`.replace(/[^A-Za-z0-9_]/g, '_');
  const calls = step.call ? (Array.isArray(step.call) ? step.call : [step.call]) : [];
  // Parts, in the order a stream would carry them (each its own chunk).
  const parts = [];
  if (step.thought) parts.push({ text: step.thought, thought: true });
  if (step.text) {
    const half = Math.ceil(step.text.length / 2);
    parts.push({ text: step.text.slice(0, half) }, { text: step.text.slice(half) });
  }
  calls.forEach((c, i) => parts.push({ functionCall: { name: c.name, args: c.args || {} }, ...(i === 0 ? { thoughtSignature: 'ZmFrZQ==' } : {}) }));
  const finishReason = step.finishReason || 'STOP';
  const modelVersion = model || 'gemini-2.5-pro';
  const answered = {
    usage: usageMetadata,
    text: step.text || '',
    thought: step.thought,
    calls: calls.map((c) => ({ name: c.name, args: c.args || {} })),
    responseId,
  };
  const chunk = (ps, last) => ({
    candidates: [{ content: { role: 'model', parts: ps }, ...(last ? { finishReason } : {}), index: 0 }],
    ...(last ? { usageMetadata } : {}),
    modelVersion,
    responseId,
  });
  if (!stream) {
    // Merge adjacent text parts for the non-streaming answer.
    const merged = [];
    for (const p of parts) {
      const prev = merged[merged.length - 1];
      if (prev && p.text !== undefined && prev.text !== undefined && !p.thought && !prev.thought) prev.text += p.text;
      else merged.push({ ...p });
    }
    sendJson(res, 200, chunk(merged.length ? merged : [{ text: '' }], true));
    return answered;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const list = parts.length ? parts : [{ text: '' }];
  list.forEach((p, i) => res.write(`data: ${JSON.stringify(chunk([p], i === list.length - 1))}\r\n\r\n`));
  res.end();
  return answered;
}

main();

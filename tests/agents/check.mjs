#!/usr/bin/env node
// Acceptance check of agentmon's OpenTelemetry receiver with the real agent
// CLIs (see check.sh, which installs them and calls this).
//
// Starts `agentmon serve` on a free loopback port with its own data
// directory (embedded PostgreSQL), creates the org `agents` and a producer
// API key for it, then runs each scenario with run-claude.sh / run-codex.sh /
// run-gemini.sh:
// the real CLI against the scripted fake model API, its OTLP export pointed
// at agentmon's /otlp (OTLP_ENDPOINT; through the tap below unless
// CHECK_TAP=0), with the key as `x-api-key` or `Authorization: Bearer`
// (each scenario says which). Once agentmon has projected, it reads the
// session and the org's KPIs over GraphQL (as a SUPER_ADMIN) and compares
// each figure with what the CLI printed (Claude: its --output-format json
// result; Codex: its --json events; Gemini CLI: its --output-format json
// stats) and with the sum of what the fake answered (its requests.jsonl).
// One line per check; exit 1 on any FAIL. Gemini CLI's OTLP/gRPC export goes
// straight to agentmon's --otlp-grpc-listen, past the tap.
//
// The exports pass through a tap on the way: a pass-through proxy that
// forwards each request to agentmon byte for byte and returns agentmon's
// answer unchanged, noting the encoding and credential header the CLI used
// and the records agentmon's answer says it rejected (OTLP partial success).
// CHECK_TAP=0 points the CLIs straight at agentmon instead (those checks are
// then skipped; agentmon's own log still shows each export's status). With
// the tap, each scenario's exports are then sent to agentmon a second time,
// as a retrying exporter would: nothing new may be stored and no figure may
// change (CHECK_RESEND=0 skips that).
//
// The `genai-spans-*` scenarios are no agent CLI: genai-spans.mjs makes
// GenAI semantic-convention spans of one conversation (two traces: a run
// with two chat spans, one failed, and a tool call; a failed run with a
// failed tool call) with the OpenTelemetry JavaScript SDK and exports them
// with its own OTLP trace exporters: OTLP/HTTP protobuf (gzip), OTLP/HTTP
// JSON, OTLP/gRPC (gzip, on agentmon's --otlp-grpc-listen; not through the
// tap, which speaks HTTP/1.1). The session, its runs and the KPIs are
// compared with the spans the SDK exported, and at the end the three
// exporters' figures with each other.
//
// Env: AGENTMON_BIN (required by check.sh), AGENT_CLI_DIR (default
// /var/tmp/agent-clis), AGENT_OTEL_DIR (the OpenTelemetry JS SDK, default
// AGENT_CLI_DIR/otel-js), CHECK_ONLY=regex (scenario ids), CHECK_KEEP=1 to
// keep the work directory (it is always kept when a check fails),
// CHECK_SETTLE_SECONDS (default 15): how long to wait for the figures.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync,
} from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const HERE = import.meta.dirname;
const ROOT = resolve(HERE, '../..');
const BIN = resolve(process.env.AGENTMON_BIN ?? join(ROOT, 'target', 'debug', 'agentmon'));
const CLI_DIR = process.env.AGENT_CLI_DIR ?? '/var/tmp/agent-clis';
const OTEL_DIR = process.env.AGENT_OTEL_DIR ?? join(CLI_DIR, 'otel-js');
const SETTLE_MS = Number(process.env.CHECK_SETTLE_SECONDS ?? 15) * 1000;
const SECRET = 'agents-check-secret-that-is-long-enough-for-hs256';
const ORG = 'agents';
const RANGE = '{from: "2026-01-01", to: "2027-12-31"}';
// Read for the GenAI-span scenarios only: the runs of Claude Code's logs end
// when agentmon's idle timer says so, which may fall between two reads.
const RUN_KPIS = ['runs', 'succeededRuns', 'failedRuns'];
const KPIS = ['modelCalls', 'failedModelCalls', 'unpricedModelCalls', 'toolCalls', 'failedToolCalls', 'rejectedToolCalls', 'linesAdded', 'linesRemoved', 'commits'];

// What each scenario is and how its telemetry reaches agentmon. `lines` and
// `commits`: what Claude Code's own metrics count for the fake's tool uses
// (a file written counts its lines split on "\n", the last empty one too;
// an edit counts its line diff).
const SCENARIOS = [
  { id: 'claude-basic-json', agent: 'claude', scenario: 'basic', proto: 'json', spans: 'nospans', auth: 'x-api-key' },
  { id: 'claude-basic-protobuf-gzip-spans', agent: 'claude', scenario: 'basic', proto: 'protobuf', spans: 'spans', tag: 'gzip', gzip: true, auth: 'bearer' },
  { id: 'claude-reject-json', agent: 'claude', scenario: 'reject', proto: 'json', spans: 'nospans', auth: 'x-api-key' },
  { id: 'claude-fail-json', agent: 'claude', scenario: 'fail', proto: 'json', spans: 'spans', auth: 'x-api-key', exit: 1 },
  { id: 'claude-retry-json', agent: 'claude', scenario: 'retry', proto: 'json', spans: 'nospans', auth: 'x-api-key' },
  { id: 'claude-two-prompts-json', agent: 'claude', scenario: 'two-prompts', proto: 'json', spans: 'nospans', auth: 'x-api-key', second: 'Now say something else.' },
  { id: 'claude-write-json', agent: 'claude', scenario: 'write', proto: 'json', spans: 'nospans', auth: 'bearer', lines: [5, 2] },
  { id: 'claude-commit-json', agent: 'claude', scenario: 'commit', proto: 'json', spans: 'nospans', auth: 'x-api-key', lines: [3, 0], commits: 1 },
  { id: 'codex-basic-json', agent: 'codex', scenario: 'basic', proto: 'json', spans: 'nospans', auth: 'x-api-key' },
  { id: 'codex-basic-protobuf', agent: 'codex', scenario: 'basic', proto: 'protobuf', spans: 'nospans', auth: 'bearer' },
  { id: 'codex-retry-json', agent: 'codex', scenario: 'retry', proto: 'json', spans: 'nospans', auth: 'x-api-key' },
  // A second prompt with `codex exec resume --last`: the same session, a second run.
  { id: 'codex-two-prompts-json', agent: 'codex', scenario: 'two-prompts', proto: 'json', spans: 'nospans', auth: 'bearer', second: 'Now say something else.' },
  // Every request answered 500 (one retry): the turn fails, the CLI exits 1.
  // Its run is RUNNING here, with no model call (attempts are not calls);
  // that it ends FAILED (errorCategory MODEL) once quiet is checked by the
  // Rust test a_codex_request_that_failed_for_good_fails_its_run_and_its_retries_count_for_nothing
  // (tests/e2e/agents/otlp.rs), which can end it at once.
  { id: 'codex-fail-protobuf', agent: 'codex', scenario: 'fail', proto: 'protobuf', spans: 'nospans', auth: 'x-api-key', exit: 1 },
  // Gemini CLI: its "http" protocol is OTLP/HTTP JSON, "grpc" OTLP/gRPC with
  // gzip (straight to agentmon's --otlp-grpc-listen: the tap speaks
  // HTTP/1.1); the key in OTEL_EXPORTER_OTLP_HEADERS, which its exporters
  // honour. A failed run exports nothing with --output-format json (the CLI
  // exits first), so fail-400 runs with the text output.
  { id: 'gemini-basic-json', agent: 'gemini', scenario: 'basic', proto: 'json', spans: 'nospans', auth: 'x-api-key' },
  { id: 'gemini-basic-grpc', agent: 'gemini', scenario: 'basic', proto: 'grpc', spans: 'nospans', gzip: true, auth: 'bearer' },
  { id: 'gemini-write-json', agent: 'gemini', scenario: 'write', proto: 'json', spans: 'nospans', auth: 'bearer' },
  { id: 'gemini-fail-400-json-text', agent: 'gemini', scenario: 'fail-400', proto: 'json', spans: 'nospans', auth: 'x-api-key', output: 'text', tag: 'text', exit: 1 },
  // genai-spans.mjs: the OpenTelemetry JS SDK's exporters, one conversation each.
  { id: 'genai-spans-otlp-proto', agent: 'genai', exporter: 'proto', proto: 'protobuf', gzip: true, processor: 'batch', auth: 'x-api-key' },
  { id: 'genai-spans-otlp-json', agent: 'genai', exporter: 'json', proto: 'json', processor: 'simple', auth: 'bearer' },
  { id: 'genai-spans-otlp-grpc', agent: 'genai', exporter: 'grpc', proto: 'grpc', gzip: true, processor: 'batch', auth: 'bearer' },
];

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const outcomes = [];
let failures = 0;

function report(scenario, what, actual, expected, source) {
  const same = typeof expected === 'function' ? expected(actual) : equal(actual, expected);
  if (!same) failures += 1;
  outcomes.push({ scenario, what, same });
  const shown = (v) => (v === undefined ? 'missing' : JSON.stringify(v));
  const line = same
    ? `ok   ${scenario}: ${what} = ${shown(actual)}${source ? ` (${source})` : ''}`
    : `FAIL ${scenario}: ${what}: got ${shown(actual)}, expected ${typeof expected === 'function' ? source : `${shown(expected)}${source ? ` (${source})` : ''}`}`;
  console.log(line);
  return same;
}

function info(scenario, text) {
  console.log(`info ${scenario}: ${text}`);
}

function equal(a, b) {
  if (typeof a === 'number' || typeof b === 'number') return Number(a) === Number(b);
  return a === b;
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

// ---------------------------------------------------------------- agentmon

async function startAgentmon(work) {
  const dataDir = join(work, 'agentmon');
  execFileSync('mkdir', ['-p', dataDir]);
  // The embedded PostgreSQL runs as `postgres` when this runs as root.
  chmodSync(work, 0o755);
  chmodSync(dataDir, 0o755);
  const env = {
    ...process.env,
    AGENTMON_DATA_DIR: dataDir,
    AGENTMON_JWT_SECRET: SECRET,
    AGENTMON_LOG_FORMAT: 'json',
    RUST_LOG: 'info',
  };
  for (const k of ['DATABASE_URL', 'DATABASE_APP_URL', 'REDIS_URL', 'AGENTMON_DEMO', 'AGENTMON_WEB_DIR', 'AGENTMON_METRICS_TOKEN', 'AGENTMON_JWKS']) delete env[k];
  const port = await freePort();
  const grpcPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(work, 'agentmon.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--otlp-grpc-listen', `127.0.0.1:${grpcPort}`],
    { env, cwd: dataDir, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let failed = null;
  child.once('error', (e) => { failed = e; });
  const exited = new Promise((done) => child.once('exit', done));
  const run = (...args) => execFileSync(BIN, args, { env, cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
  const stopCluster = () => {
    if (!existsSync(join(dataDir, 'pg', 'postmaster.pid'))) return;
    const versions = (() => { try { return readdirSync('/usr/lib/postgresql').sort().reverse(); } catch { return []; } })();
    const pgCtl = ['pg_ctl', ...versions.map((v) => `/usr/lib/postgresql/${v}/bin/pg_ctl`)]
      .find((p) => spawnSync(p, ['--version']).status === 0);
    if (!pgCtl) return;
    const args = ['stop', '-D', join(dataDir, 'pg'), '-m', 'immediate', '-w'];
    if (process.getuid?.() === 0) spawnSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args]);
    else spawnSync(pgCtl, args);
  };
  const server = {
    url,
    grpcUrl: `http://127.0.0.1:${grpcPort}`,
    logFile,
    run,
    async stop() {
      if (child.exitCode == null && child.signalCode == null) {
        child.kill('SIGTERM');
        const stopped = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
        if (!stopped) child.kill('SIGKILL');
      }
      stopCluster();
    },
    kill() {
      if (child.exitCode == null) child.kill('SIGKILL');
      stopCluster();
    },
  };
  for (let i = 0; i < 600; i += 1) {
    if (failed) throw new Error(`cannot run ${BIN}: ${failed.message}`);
    if (child.exitCode != null) break;
    const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ready) return server;
    await sleep(100);
  }
  server.kill();
  throw new Error(`agentmon did not get ready; its log:\n${readFileSync(logFile, 'utf8').slice(-5000)}`);
}

// ---------------------------------------------------------------- the tap

/** A pass-through proxy to `target` that notes what each export was and what agentmon answered. */
function startTap(target) {
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const auth = req.headers['x-api-key'] ? 'x-api-key'
        : /^Bearer \S/.test(req.headers.authorization ?? '') ? 'bearer' : `none (${req.headers.authorization ?? 'no Authorization'})`;
      const note = {
        path: req.url,
        method: req.method,
        headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection'].includes(k))),
        body,
        encoding: `${(req.headers['content-type'] ?? '-').split(';')[0]}${req.headers['content-encoding'] ? ` ${req.headers['content-encoding']}` : ''}`,
        auth,
      };
      send(target, note).then((answer) => {
        seen.push({ ...note, status: answer.status, ...partialSuccess(answer.bytes, answer.headers['content-type']) });
        res.writeHead(answer.status, answer.headers);
        res.end(answer.bytes);
      }, (error) => {
        seen.push({ ...note, status: 502, message: error.message });
        res.writeHead(502);
        res.end();
      });
    });
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done({
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    close: () => server.close(),
  })));
}

/** Sends one noted request to `target` as it came; resolves with the answer. */
function send(target, { method, path, headers, body }) {
  return new Promise((done, fail) => {
    const up = http.request(`${target}${path}`, { method, headers: { ...headers, host: new URL(target).host } }, (answer) => {
      const out = [];
      answer.on('data', (c) => out.push(c));
      answer.on('end', () => done({ status: answer.statusCode, headers: answer.headers, bytes: Buffer.concat(out) }));
      answer.on('error', fail);
    });
    up.on('error', fail);
    up.end(body);
  });
}

/** The records an OTLP answer says were rejected, and why (JSON or protobuf). */
function partialSuccess(bytes, type = '') {
  if (!bytes.length) return { rejected: 0 };
  if (type.includes('json')) {
    try {
      const p = JSON.parse(bytes.toString('utf8')).partialSuccess ?? {};
      const n = p.rejectedLogRecords ?? p.rejectedSpans ?? p.rejectedDataPoints ?? 0;
      return { rejected: Number(n), message: p.errorMessage ?? '' };
    } catch {
      return { rejected: 0, message: `unreadable answer: ${bytes.toString('utf8').slice(0, 200)}` };
    }
  }
  // Export*ServiceResponse { partial_success = 1 { rejected = 1 (varint); error_message = 2 } }
  const fields = (buf) => {
    const out = {};
    let i = 0;
    const varint = () => {
      let v = 0n;
      let shift = 0n;
      for (;;) {
        const b = buf[i++];
        v |= BigInt(b & 0x7f) << shift;
        shift += 7n;
        if (!(b & 0x80) || i >= buf.length) return v;
      }
    };
    while (i < buf.length) {
      const tag = Number(varint());
      const [field, wire] = [tag >> 3, tag & 7];
      if (wire === 0) out[field] = varint();
      else if (wire === 2) {
        const len = Number(varint());
        out[field] = buf.subarray(i, i + len);
        i += len;
      } else break;
    }
    return out;
  };
  const partial = fields(bytes)[1];
  if (!partial) return { rejected: 0 };
  const p = fields(partial);
  return { rejected: Number(p[1] ?? 0n), message: p[2] ? p[2].toString('utf8') : '' };
}

async function gql(server, token, query) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(`GraphQL: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function projection(server) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const read = (name) => Number(text.match(new RegExp(`^${name} (\\d+)`, 'm'))?.[1] ?? 0);
  return {
    ingested: read('agentmon_ingested_events_total'),
    projected: read('agentmon_projected_events_total'),
    dead: read('agentmon_dead_letters'),
    duplicates: read('agentmon_duplicate_events_total'),
  };
}

/**
 * A session's figures and the org's KPIs; `runs`: its runs and the run KPIs
 * too; `'status'`: its runs' ids and status only; `'codex'`: its runs' ids,
 * status, start, error category, calls and tokens.
 */
async function read(server, token, sessionId, runs = false) {
  const more = runs === 'status' ? 'runs { id status }'
    : runs === 'codex' ? 'runs { id status startedAt errorCategory modelCalls inputTokens outputTokens cacheReadTokens toolCalls }'
    : runs ? 'succeededRuns failedRuns runs { id status model durationMs errorMessage modelCalls toolCalls inputTokens outputTokens }' : '';
  const data = await gql(server, token, `{ org(slug: ${JSON.stringify(ORG)}) {
    session(id: ${JSON.stringify(sessionId)}) { agent user { id } title messageCount attributes inputTokens outputTokens cacheReadTokens
      cacheCreationTokens costUsd modelCalls toolCalls failedToolCalls runCount linesAdded linesRemoved ${more} }
    overview(range: ${RANGE}) { kpis { ${[...KPIS, ...(runs === true ? RUN_KPIS : [])].join(' ')} } } } }`);
  return { session: data.org.session, kpis: data.org.overview.kpis };
}

/** The OTLP requests agentmon served since `from` (a byte offset of its log): status by signal. */
function otlpRequests(logFile, from) {
  const text = readFileSync(logFile).subarray(from).toString('utf8');
  const requests = [];
  for (const line of text.split('\n')) {
    if (!line.includes('/otlp/')) continue;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const flat = {};
    const walk = (o) => {
      for (const [k, v] of Object.entries(o ?? {})) {
        if (v && typeof v === 'object') walk(v);
        else if (!(k in flat)) flat[k] = v;
      }
    };
    walk(entry);
    if (typeof flat.path === 'string' && flat.path.startsWith('/otlp/') && flat.status != null) {
      requests.push({ path: flat.path, status: Number(flat.status) });
    }
  }
  return requests;
}

// ---------------------------------------------------------------- the CLIs

function runScenario(s, work, endpoint, key, grpcUrl) {
  if (s.agent === 'genai') return runSpans(s, work, endpoint, key, grpcUrl);
  const script = join(HERE, `run-${s.agent}.sh`);
  const env = {
    ...process.env,
    AGENT_CAPTURE_ROOT: join(work, 'runs'),
    AGENT_CLI_DIR: CLI_DIR,
    SKIP_SETUP: '1',
    OTLP_ENDPOINT: endpoint,
    TAG: s.tag ?? '',
  };
  if (s.agent === 'claude') {
    // Claude Code does not percent-decode OTEL_EXPORTER_OTLP_HEADERS: a
    // literal space after Bearer.
    env.OTLP_HEADERS = s.auth === 'bearer' ? `Authorization=Bearer ${key}` : `x-api-key=${key}`;
    env.EXTRA_ENV = s.gzip ? 'OTEL_EXPORTER_OTLP_COMPRESSION=gzip' : '';
    env.SECOND_PROMPT = s.second ?? '';
  } else if (s.agent === 'gemini') {
    // Its OpenTelemetry JS exporters percent-decode the header values.
    env.OTLP_HEADERS = s.auth === 'bearer' ? `Authorization=Bearer%20${key}` : `x-api-key=${key}`;
    if (s.proto === 'grpc') env.OTLP_ENDPOINT = grpcUrl;
    env.OUTPUT_FORMAT = s.output ?? 'json';
  } else {
    env.OTLP_HEADERS_TOML = s.auth === 'bearer' ? `"Authorization" = "Bearer ${key}"` : `"x-api-key" = "${key}"`;
    env.SECOND_PROMPT = s.second ?? '';
  }
  // run-gemini.sh calls OTLP/HTTP JSON "http".
  const proto = s.agent === 'gemini' && s.proto === 'json' ? 'http' : s.proto;
  const out = join(work, 'runs', `${s.agent}-${s.scenario}-${proto}${s.spans === 'spans' ? '-spans' : ''}${s.tag ? `-${s.tag}` : ''}`);
  return new Promise((done) => {
    const child = spawn('bash', [script, s.scenario, proto, s.spans], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (c) => { log += c; });
    child.stderr.on('data', (c) => { log += c; });
    child.once('exit', (code) => done({ out, code, log }));
  });
}

/** genai-spans.mjs with the scenario's exporter: HTTP ones to `endpoint` (the tap), gRPC to agentmon. */
function runSpans(s, work, endpoint, key, grpcUrl) {
  const out = join(work, 'runs', s.id);
  mkdirSync(out, { recursive: true });
  const env = { ...process.env, AGENT_OTEL_DIR: OTEL_DIR };
  // The SDK reads OTEL_* (sampler, limits, exporter headers): none of the caller's.
  for (const k of Object.keys(env)) if (k.startsWith('OTEL_')) delete env[k];
  const args = [join(HERE, 'genai-spans.mjs'), '--exporter', s.exporter, '--url', s.exporter === 'grpc' ? grpcUrl : endpoint,
    '--key', key, '--auth', s.auth, '--processor', s.processor, '--out', out, ...(s.gzip ? ['--gzip'] : [])];
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (c) => { log += c; });
    child.stderr.on('data', (c) => { log += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      writeFileSync(join(out, 'exit_code'), `${code ?? signal}\n`);
      writeFileSync(join(out, 'log'), log);
      done({ out, code, log });
    });
  });
}

function jsonl(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).flatMap((l) => {
    try {
      return [JSON.parse(l)];
    } catch {
      return [];
    }
  });
}

const sum = (list, f) => list.reduce((n, x) => n + (f(x) ?? 0), 0);

/** What the CLI and the fake say the session must show: [field, value, source] triples. */
function expectations(s, out) {
  if (s.agent === 'genai') return spanExpectations(s, out);
  if (s.agent === 'gemini') return geminiExpectations(s, out);
  const answers = jsonl(join(out, 'requests.jsonl'));
  const exitCode = Number(readFileSync(join(out, 'exit_code'), 'utf8').trim());
  const stdout = readFileSync(join(out, 'stdout'), 'utf8');
  const prompt = readFileSync(join(out, 'prompt'), 'utf8');
  const e = { exitCode, session: [], kpis: {}, notes: [], title: prompt };
  const [added, removed] = s.lines ?? [0, 0];
  if (s.agent === 'claude') {
    // One result per invocation: the prompt, and with `second` a --continue.
    const results = ['stdout', 'stdout.2'].filter((f) => existsSync(join(out, f))).map((f) => {
      try {
        return JSON.parse(readFileSync(join(out, f), 'utf8'));
      } catch {
        throw new Error(`Claude Code printed no JSON result in ${f} (exit ${exitCode}); see ${out}/${f} and stderr`);
      }
    });
    const result = results.at(-1);
    const calls = answers.filter((a) => a.method === 'POST' && a.url.split('?')[0] === '/v1/messages');
    const ok = calls.filter((a) => a.status === 200 && a.usage);
    const errors = calls.filter((a) => a.status >= 400);
    const uses = ok.flatMap((a) => a.tool_uses ?? []);
    const failedForGood = results.filter((r) => r.is_error && r.api_error_status != null).length;
    const usage = (k) => sum(results, (r) => r.usage?.[k]);
    const ids = [...new Set(results.map((r) => r.session_id))];
    if (ids.length > 1) throw new Error(`--continue changed the session id: ${ids.join(', ')}`);
    e.id = result.session_id;
    e.agent = 'claude-code';
    e.attributes = { agent: e.agent, repository: 'acme/widgets', 'team.id': 'platform' };
    const texts = ok.filter((a) => a.text).length;
    e.session.push(
      ['messageCount', results.length + texts, `${results.length} prompt(s) + the fake's ${texts} answers with text`],
      ['inputTokens', usage('input_tokens'), 'CLI usage.input_tokens'],
      ['inputTokens', sum(ok, (a) => a.usage.input_tokens), `sum of the fake's ${ok.length} answers`],
      ['outputTokens', usage('output_tokens'), 'CLI usage.output_tokens'],
      ['outputTokens', sum(ok, (a) => a.usage.output_tokens), 'fake'],
      ['cacheReadTokens', usage('cache_read_input_tokens'), 'CLI usage.cache_read_input_tokens'],
      ['cacheReadTokens', sum(ok, (a) => a.usage.cache_read_input_tokens), 'fake'],
      ['cacheCreationTokens', usage('cache_creation_input_tokens'), 'CLI usage.cache_creation_input_tokens'],
      ['cacheCreationTokens', sum(ok, (a) => a.usage.cache_creation_input_tokens), 'fake'],
      // A --continue prints the session's total so far, not its own part.
      ['costUsd', result.total_cost_usd, `CLI total_cost_usd${results.length > 1 ? ' of the last invocation (the session\'s total)' : ''}, to 9 decimals`],
      ['modelCalls', ok.length + failedForGood, `the fake's ${ok.length} answers + ${failedForGood} failed for good`],
      ['toolCalls', uses.length, `tool uses the fake asked for: ${uses.map((t) => t.name).join(', ') || 'none'}`],
      ['failedToolCalls', 0, 'every tool use ran fine or was refused'],
      ['runCount', results.length, 'one per prompt'],
      ['linesAdded', added, "Claude Code's count of the fake's edits"],
      ['linesRemoved', removed, "Claude Code's count of the fake's edits"],
    );
    e.kpis = {
      modelCalls: ok.length + failedForGood,
      failedModelCalls: failedForGood,
      unpricedModelCalls: 0,
      toolCalls: uses.length,
      failedToolCalls: 0,
      rejectedToolCalls: sum(results, (r) => r.permission_denials?.length),
      linesAdded: added,
      linesRemoved: removed,
      commits: s.commits ?? 0,
    };
    e.kpiSources = {
      failedModelCalls: `CLI is_error=${results.map((r) => r.is_error)}, api_error_status=${results.map((r) => r.api_error_status)}`,
      rejectedToolCalls: 'CLI permission_denials',
      unpricedModelCalls: 'Claude Code reports every call\'s cost; an api_error costs 0',
    };
    if (errors.length) e.notes.push(`the fake answered ${errors.length} error(s) (${errors.map((a) => a.answer).join(', ')}); ${failedForGood} call(s) failed for good, the rest were retried`);
  } else {
    // One --json event stream per invocation: the prompt, and with `second`
    // a `codex exec resume --last`.
    const files = ['stdout', 'stdout.2'].filter((f) => existsSync(join(out, f)));
    const events = files.flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean).flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    }));
    const threads = events.filter((x) => x.type === 'thread.started');
    if (!threads.length) throw new Error(`Codex printed no thread.started (exit ${exitCode}); see ${out}/stdout and stderr`);
    // The CLI's turns in order, each with its commands: turn.started up to
    // its turn.completed or turn.failed.
    const turns = [];
    let open = null;
    for (const x of events) {
      if (x.type === 'turn.started') open = { commands: [], end: null };
      else if (x.type === 'item.completed' && x.item?.type === 'command_execution') open?.commands.push(x);
      else if ((x.type === 'turn.completed' || x.type === 'turn.failed') && open) {
        open.end = x;
        turns.push(open);
        open = null;
      }
    }
    // turn.completed.usage is the thread's total so far (a resumed session's
    // turn reports the earlier turns' tokens too; turn.failed reports none):
    // a turn's own usage is the step from the total before it.
    const keys = ['input_tokens', 'cached_input_tokens', 'cache_write_input_tokens', 'output_tokens'];
    let total = Object.fromEntries(keys.map((k) => [k, 0]));
    for (const t of turns) {
      const now = t.end.type === 'turn.completed' ? Object.fromEntries(keys.map((k) => [k, t.end.usage?.[k] ?? 0])) : total;
      t.usage = Object.fromEntries(keys.map((k) => [k, now[k] - total[k]]));
      total = now;
    }
    const commands = turns.flatMap((t) => t.commands);
    const calls = answers.filter((a) => a.method === 'POST' && /\/responses\/?$/.test(a.url.split('?')[0]));
    const ok = calls.filter((a) => a.status === 200 && a.usage);
    // The fake's requests by turn: x-codex-turn-metadata names the turn_id,
    // in the order the turns first asked.
    const turnOf = (a) => {
      try {
        return JSON.parse(a.headers?.['x-codex-turn-metadata'] ?? 'null')?.turn_id ?? 'none';
      } catch {
        return 'unreadable';
      }
    };
    const asked = [];
    for (const a of calls) {
      const id = turnOf(a);
      let group = asked.find((g) => g.id === id);
      if (!group) asked.push(group = { id, calls: [] });
      group.calls.push(a);
    }
    for (const g of asked) g.ok = g.calls.filter((a) => a.status === 200 && a.usage);
    const input = total.input_tokens;
    const cached = total.cached_input_tokens;
    const written = total.cache_write_input_tokens;
    e.id = threads[0].thread_id;
    e.agent = 'codex_exec';
    e.attributes = { agent: e.agent, repository: 'acme/widgets', 'team.id': 'platform', env: 'agentmon-test' };
    const failedTools = commands.filter((c) => c.item.exit_code !== 0).length;
    const ended = turns.map((t) => t.end.type.replace('turn.', '')).join(', ') || 'none';
    e.session.push(
      // Codex logs its prompts, not its answers.
      ['messageCount', files.length, `${files.length} prompt(s)`],
      ['inputTokens', input - cached - written, `CLI input_tokens - cached_input_tokens - cache_write_input_tokens${files.length > 1 ? ' of the last turn.completed (the thread\'s total)' : ''}`],
      ['inputTokens', sum(ok, (a) => a.usage.input_tokens - a.usage.cached_tokens), `sum of the fake's ${ok.length} answers, input - cached`],
      ['outputTokens', total.output_tokens, 'CLI output_tokens'],
      ['outputTokens', sum(ok, (a) => a.usage.output_tokens), 'fake'],
      ['cacheReadTokens', cached, 'CLI cached_input_tokens'],
      ['cacheReadTokens', sum(ok, (a) => a.usage.cached_tokens), 'fake'],
      ['cacheCreationTokens', written, 'CLI cache_write_input_tokens'],
      ['modelCalls', ok.length, "the fake's answers (a failed attempt is no call)"],
      ['toolCalls', commands.length, 'CLI command_execution items'],
      ['toolCalls', sum(ok, (a) => a.shell?.length), 'shell calls the fake asked for'],
      ['failedToolCalls', failedTools, 'CLI commands with exit_code != 0'],
      // Each codex.user_prompt starts a run; the events after it join it.
      ['runCount', turns.length, `the CLI's turns: ${ended}`],
    );
    e.checks = [
      ['thread id of each invocation', [...new Set(threads.map((t) => t.thread_id))].join(', '), e.id,
        `thread.started of ${files.length} invocation(s)${files.length > 1 ? ': resume --last keeps the session' : ''}`],
      ["the fake's turns", asked.length, turns.length, `turn_id of x-codex-turn-metadata: ${asked.map((g) => `${g.id.slice(-12)} x${g.calls.length}`).join(', ') || 'no request'}; as many as the CLI's turns`],
      ['usage by turn: the CLI', JSON.stringify(turns.map((t) => [t.usage.input_tokens - t.usage.cached_input_tokens, t.usage.output_tokens, t.usage.cached_input_tokens])),
        JSON.stringify(asked.map((g) => [sum(g.ok, (a) => a.usage.input_tokens - a.usage.cached_tokens), sum(g.ok, (a) => a.usage.output_tokens), sum(g.ok, (a) => a.usage.cached_tokens)])),
        "[input - cached, output, cached] of each turn, as the fake's answers to it"],
    ];
    // Its runs in the order they started, one per turn: every one but the
    // last ended by the next prompt, the last still RUNNING (agentmon's
    // idle timer, AGENTMON_RUN_IDLE, has not ended it yet).
    e.runsInOrder = turns.map((t, i) => ({
      status: i < turns.length - 1 ? 'SUCCEEDED' : 'RUNNING',
      modelCalls: asked[i]?.ok.length ?? 0,
      inputTokens: t.usage.input_tokens - t.usage.cached_input_tokens - t.usage.cache_write_input_tokens,
      outputTokens: t.usage.output_tokens,
      cacheReadTokens: t.usage.cached_input_tokens,
      toolCalls: t.commands.length,
    }));
    e.runsSource = (i) => `turn ${i + 1} (${turns[i]?.end.type}): the fake's answers to it, its usage${i > 0 ? ' less the total before it' : ''}, its commands; ${i < turns.length - 1 ? 'ended by the next prompt' : 'no later prompt, not yet quiet'}`;
    e.kpis = {
      modelCalls: ok.length,
      failedModelCalls: 0,
      unpricedModelCalls: ok.length,
      toolCalls: commands.length,
      failedToolCalls: failedTools,
      rejectedToolCalls: 0,
      linesAdded: 0,
      linesRemoved: 0,
      commits: 0,
    };
    e.kpiSources = {
      unpricedModelCalls: 'Codex reports no cost',
      failedModelCalls: `a failed request attempt (${calls.filter((a) => a.status >= 400).length} here) is no call: it marks its run's latest call failed`,
    };
    const errors = calls.filter((a) => a.status >= 400);
    if (errors.length) e.notes.push(`the fake answered ${errors.length} error(s) (${errors.map((a) => a.answer).join(', ')}), which Codex retried${turns.some((t) => t.end.type === 'turn.failed') ? ' until the turn failed' : ''}`);
  }
  return e;
}

/**
 * Gemini CLI: its --output-format json result (`session_id`, `stats` per
 * model and of the tools) and the fake's answers. With the text output
 * (fail-400) there are no stats: the session id is the one of the chat the
 * CLI recorded under ~/.gemini/tmp, the figures are the fake's.
 */
function geminiExpectations(s, out) {
  const answers = jsonl(join(out, 'requests.jsonl'));
  const exitCode = Number(readFileSync(join(out, 'exit_code'), 'utf8').trim());
  const prompt = readFileSync(join(out, 'prompt'), 'utf8');
  let result = null;
  if ((s.output ?? 'json') === 'json') {
    try {
      result = JSON.parse(readFileSync(join(out, 'stdout'), 'utf8'));
    } catch {
      throw new Error(`Gemini CLI printed no JSON result (exit ${exitCode}); see ${out}/stdout and stderr`);
    }
  }
  const chats = (() => {
    const tmp = join(out, 'home', '.gemini', 'tmp');
    if (!existsSync(tmp)) return [];
    return readdirSync(tmp).flatMap((project) => {
      const dir = join(tmp, project, 'chats');
      return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('session-')).map((f) => join(dir, f)) : [];
    });
  })();
  const chatIds = [...new Set(chats.map((f) => jsonl(f)[0]?.sessionId).filter(Boolean))];
  const id = result?.session_id ?? (chatIds.length === 1 ? chatIds[0] : null);
  if (!id) throw new Error(`no session id: no JSON result and ${chatIds.length} recorded chats (exit ${exitCode}); see ${out}`);
  const calls = answers.filter((a) => a.method === 'generateContent' || a.method === 'streamGenerateContent');
  const ok = calls.filter((a) => a.status === 200 && a.usage);
  // Refused for good: a 4xx other than 429 (429 and 5xx the CLI retries).
  const refused = calls.filter((a) => a.status >= 400 && a.status < 500 && a.status !== 429);
  const u = (a, k) => a.usage[k] ?? 0;
  const models = Object.values(result?.stats?.models ?? {});
  const tools = result?.stats?.tools;
  const stat = (f) => sum(models, f);
  const asked = ok.flatMap((a) => a.calls ?? []);
  const e = {
    exitCode,
    session: [],
    kpis: {},
    notes: [],
    title: prompt,
    id,
    agent: 'gemini-cli',
    attributes: { agent: 'gemini-cli', repository: 'acme/widgets', 'team.id': 'platform' },
    result,
  };
  const fromCli = result != null;
  const cli = (field, value, source) => { if (fromCli) e.session.push([field, value, source]); };
  e.session.push(['messageCount', 1, 'the prompt (gemini_cli.user_prompt); Gemini CLI logs no answer as a message']);
  cli('inputTokens', stat((m) => m.tokens.prompt - m.tokens.cached), `CLI stats: sum over ${models.length} models of prompt - cached`);
  e.session.push(['inputTokens', sum(ok, (a) => u(a, 'promptTokenCount') - u(a, 'cachedContentTokenCount')), `sum of the fake's ${ok.length} answers, prompt - cached`]);
  cli('outputTokens', stat((m) => m.tokens.candidates + m.tokens.thoughts), 'CLI stats: candidates + thoughts');
  e.session.push(['outputTokens', sum(ok, (a) => u(a, 'candidatesTokenCount') + u(a, 'thoughtsTokenCount')), 'fake: candidates + thoughts']);
  cli('cacheReadTokens', stat((m) => m.tokens.cached), 'CLI stats: cached');
  e.session.push(['cacheReadTokens', sum(ok, (a) => u(a, 'cachedContentTokenCount')), 'fake: cachedContentTokenCount']);
  e.session.push(['cacheCreationTokens', 0, 'Gemini reports no cache writes']);
  cli('modelCalls', stat((m) => m.api.totalRequests), 'CLI stats: sum of api.totalRequests (the model router\'s included)');
  e.session.push(['modelCalls', ok.length + refused.length, `the fake's ${ok.length} answers + ${refused.length} refused for good`]);
  cli('toolCalls', tools?.totalCalls, 'CLI stats: tools.totalCalls');
  e.session.push(['toolCalls', asked.length, `function calls the fake asked for: ${asked.map((c) => c.name).join(', ') || 'none'}`]);
  e.session.push(['failedToolCalls', fromCli ? tools.totalFail : 0, fromCli ? 'CLI stats: tools.totalFail' : 'no tool ran']);
  e.session.push(['runCount', 1, 'prompt_id is the session id in Gemini CLI 0.61: one run']);
  // Its run ends when agentmon's idle timer says so (or a later prompt): no later than that.
  e.runStatus = { id, allowed: ['RUNNING', 'SUCCEEDED'] };
  e.kpis = {
    modelCalls: ok.length + refused.length,
    failedModelCalls: refused.length,
    unpricedModelCalls: ok.length,
    toolCalls: asked.length,
    failedToolCalls: fromCli ? tools.totalFail : 0,
    rejectedToolCalls: fromCli ? tools.totalDecisions?.reject ?? 0 : 0,
  };
  e.kpiSources = {
    modelCalls: `the fake's ${ok.length} answers + ${refused.length} refused${fromCli ? `; CLI stats: ${stat((m) => m.api.totalRequests)} requests` : ''}`,
    failedModelCalls: `the fake's 4xx answers other than 429: ${refused.map((a) => a.answer).join(', ') || 'none'}`,
    unpricedModelCalls: 'Gemini reports no cost and no price is set (a refused call costs 0)',
    rejectedToolCalls: fromCli ? 'CLI stats: tools.totalDecisions.reject' : 'no tool ran',
  };
  const errors = calls.filter((a) => a.status >= 400);
  if (errors.length) e.notes.push(`the fake answered ${errors.length} error(s) (${errors.map((a) => a.answer).join(', ')}); ${refused.length} refused for good`);
  if (chatIds.length && !chatIds.includes(id)) e.notes.push(`the recorded chat names session ${chatIds.join(', ')}, the result ${id}`);
  return e;
}

/** What the spans genai-spans.mjs exported (its result.json) say the session must show. */
function spanExpectations(s, out) {
  const exitCode = Number(readFileSync(join(out, 'exit_code'), 'utf8').trim());
  let r;
  try {
    r = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  } catch {
    throw new Error(`genai-spans.mjs wrote no result.json (exit ${exitCode}); see ${out}/log`);
  }
  const op = (x) => x.attributes['gen_ai.operation.name'];
  const failed = (x) => x.status === 'ERROR';
  const n = (x, k) => Number(x.attributes[k] ?? 0);
  const read = (x) => n(x, 'gen_ai.usage.cache_read.input_tokens');
  const written = (x) => n(x, 'gen_ai.usage.cache_write.input_tokens') + n(x, 'gen_ai.usage.cache_creation.input_tokens');
  const input = (x) => n(x, 'gen_ai.usage.input_tokens') - read(x) - written(x);
  const output = (x) => n(x, 'gen_ai.usage.output_tokens');
  const chats = r.spans.filter((x) => op(x) === 'chat');
  const tools = r.spans.filter((x) => op(x) === 'execute_tool');
  const agents = r.spans.filter((x) => op(x) === 'invoke_agent');
  const models = [...new Set(chats.map((x) => x.attributes['gen_ai.response.model'] ?? x.attributes['gen_ai.request.model']))];
  const e = {
    exitCode,
    session: [],
    kpis: {},
    notes: [],
    title: null,
    titleSource: 'no message on GenAI spans',
    id: r.conversation,
    agent: r.service,
    attributes: { agent: r.service, repository: 'acme/widgets', 'team.id': 'platform' },
    attributesSource: 'the SDK resource and service.name',
    result: r,
  };
  e.session.push(
    ['messageCount', 0, 'GenAI spans carry no message'],
    ['inputTokens', sum(chats, input), `${chats.length} chat spans: input_tokens - cache_read - cache_write/cache_creation`],
    ['outputTokens', sum(chats, output), 'chat spans: output_tokens'],
    ['cacheReadTokens', sum(chats, read), 'chat spans: cache_read.input_tokens'],
    ['cacheCreationTokens', sum(chats, written), 'chat spans: cache_write / cache_creation.input_tokens'],
    ['costUsd', 0, `no price for ${models.join(', ')}`],
    ['modelCalls', chats.length, 'chat spans'],
    ['toolCalls', tools.length, 'execute_tool spans'],
    ['failedToolCalls', tools.filter(failed).length, 'execute_tool spans with status ERROR'],
    ['runCount', agents.length, 'invoke_agent spans, one per trace'],
    ['succeededRuns', agents.filter((x) => !failed(x)).length, 'invoke_agent spans with no ERROR'],
    ['failedRuns', agents.filter(failed).length, 'invoke_agent spans with status ERROR'],
    ['linesAdded', 0, 'spans count no lines'],
    ['linesRemoved', 0, 'spans count no lines'],
  );
  // One run per trace, its figures from its spans; in the order the runs ended.
  e.runs = agents.map((a) => {
    const of = (list) => list.filter((x) => x.traceId === a.traceId);
    return {
      id: `trace-${a.traceId}`,
      status: failed(a) ? 'FAILED' : 'SUCCEEDED',
      model: a.attributes['gen_ai.response.model'] ?? a.attributes['gen_ai.request.model'] ?? null,
      durationMs: a.durationMs,
      errorMessage: failed(a) ? (a.attributes['error.type'] ?? a.statusMessage ?? 'error') : null,
      modelCalls: of(chats).length,
      toolCalls: of(tools).length,
      inputTokens: sum(of(chats), input),
      outputTokens: sum(of(chats), output),
    };
  });
  e.kpis = {
    modelCalls: chats.length,
    failedModelCalls: chats.filter(failed).length,
    unpricedModelCalls: chats.length,
    toolCalls: tools.length,
    failedToolCalls: tools.filter(failed).length,
    rejectedToolCalls: 0,
    linesAdded: 0,
    linesRemoved: 0,
    commits: 0,
    runs: agents.length,
    succeededRuns: agents.filter((x) => !failed(x)).length,
    failedRuns: agents.filter(failed).length,
  };
  e.kpiSources = {
    failedModelCalls: 'chat spans with status ERROR',
    unpricedModelCalls: `no price for ${models.join(', ')}`,
    runs: 'invoke_agent spans',
    succeededRuns: 'invoke_agent spans with no ERROR',
    failedRuns: 'invoke_agent spans with status ERROR',
  };
  return e;
}

/** Compares agentmon's figures with the expectations; `print` reports each check. */
function compare(s, e, figures, before, print) {
  const checks = [];
  const add = (what, actual, expected, source) => checks.push({ what, actual, expected, source });
  const { session, kpis } = figures;
  add('session found', session != null, true, `id ${e.id}`);
  for (const [what, actual, expected, source] of e.checks ?? []) add(what, actual, expected, source);
  if (session) {
    add('session.agent', session.agent, e.agent, 'service.name');
    add('session.user', session.user?.id, 'dev-42', 'enduser.id');
    add('session.title', session.title, e.title, e.titleSource ?? 'the prompt');
    const attrs = session.attributes ?? {};
    const picked = Object.fromEntries(Object.keys(e.attributes).map((k) => [k, attrs[k]]));
    add('session.attributes', JSON.stringify(picked), JSON.stringify(e.attributes), e.attributesSource ?? 'OTEL_RESOURCE_ATTRIBUTES and service.name');
    const foreign = Object.keys(attrs).filter((k) => /^(service|host|os|process|telemetry|terminal|event|user|enduser|agentmon|otel)\./.test(k) || k === 'session.id');
    add('session.attributes left out', foreign.join(', ') || 'none', 'none', 'keys that say where telemetry comes from');
    for (const [field, value, source] of e.session) {
      if (field === 'costUsd') {
        const nine = (v) => (v == null ? v : Number(v).toFixed(9));
        add('session.costUsd', nine(session.costUsd), nine(value), source);
      } else {
        add(`session.${field}`, session[field], value, source);
      }
    }
    if (e.runStatus) {
      const { id, allowed } = e.runStatus;
      const runs = session.runs ?? [];
      add('session.runs', runs.map((r) => `${r.id} ${r.status}`).join(', ') || 'none',
        () => runs.length === 1 && runs[0].id === id && allowed.includes(runs[0].status), `one run, ${id} (prompt_id), ${allowed.join(' or ')}`);
    }
    if (e.runsInOrder) {
      const runs = [...(session.runs ?? [])].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
      add('session.runs ids', runs.map((r) => r.id).join(', ') || 'none',
        () => runs.length === e.runsInOrder.length && runs.every((r) => uuid.test(r.id)) && new Set(runs.map((r) => r.id)).size === runs.length,
        `${e.runsInOrder.length} distinct UUIDs (one per codex.user_prompt)`);
      e.runsInOrder.forEach((want, i) => {
        const got = runs[i];
        const picked = got && Object.fromEntries(Object.keys(want).map((k) => [k, got[k]]));
        add(`run ${i + 1} of ${e.runsInOrder.length} by startedAt`, JSON.stringify(picked), JSON.stringify(want), e.runsSource(i));
      });
      add('sum of the runs\' modelCalls', sum(runs, (r) => r.modelCalls), session.modelCalls, 'session.modelCalls: every call joined a run');
    }
    if (e.runs) {
      const runs = [...(session.runs ?? [])].sort((a, b) => a.id.localeCompare(b.id));
      add('session.runs status', JSON.stringify(runs.map((r) => r.status).sort()), JSON.stringify(e.runs.map((r) => r.status).sort()), 'invoke_agent spans: status ERROR is FAILED');
      add('session.runs ids', runs.map((r) => r.id).join(', '), e.runs.map((r) => r.id).sort().join(', '), 'trace-<traceId> of each trace');
      for (const want of e.runs) {
        const got = runs.find((r) => r.id === want.id);
        const picked = got && Object.fromEntries(Object.keys(want).map((k) => [k, got[k]]));
        add(`run ${want.id.slice(0, 14)}…`, JSON.stringify(picked), JSON.stringify(want), 'its spans');
      }
    }
  }
  for (const k of Object.keys(e.kpis)) {
    const delta = kpis[k] - before[k];
    add(`kpis.${k} (change)`, delta, e.kpis[k], e.kpiSources[k] ?? 'as the session');
  }
  const pass = checks.every((c) => (typeof c.expected === 'function' ? c.expected(c.actual) : equal(c.actual, c.expected)));
  if (print) for (const c of checks) report(s.id, c.what, c.actual, c.expected, c.source);
  return pass;
}

/** Sends a scenario's exports again: agentmon must store nothing new and show the same figures. */
async function resend(s, server, token, e, exports, figures) {
  const p0 = await projection(server);
  const statuses = [];
  for (const x of exports) statuses.push((await send(server.url, x)).status);
  let p1 = await projection(server);
  for (let i = 0; i < 40 && p1.projected < p1.ingested; i += 1) {
    await sleep(100);
    p1 = await projection(server);
  }
  const again = await read(server, token, e.id, runsOf(s));
  report(s.id, `resent ${exports.length} exports: answers`, [...new Set(statuses)].join(', '), '200', 'the same as the first time');
  report(s.id, 'resent: events stored', p1.ingested - p0.ingested, 0, `all ${p1.duplicates - p0.duplicates} duplicates`);
  const changed = [];
  for (const part of ['session', 'kpis']) {
    for (const [k, v] of Object.entries(figures[part] ?? {})) {
      if (JSON.stringify(v) !== JSON.stringify(again[part]?.[k])) changed.push(`${part}.${k} ${JSON.stringify(v)} -> ${JSON.stringify(again[part]?.[k])}`);
    }
  }
  report(s.id, 'resent: figures changed', changed.join('; ') || 'none', 'none', 'session and KPIs as before');
}

/** The GenAI-span scenarios' figures, one exporter against the other: the same but for ids. */
function sameFigures(landed) {
  if (landed.length < 2) return;
  // path -> value, whatever order GraphQL answered the fields in.
  const flat = (v, path = '', out = {}) => {
    if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) flat(x, path ? `${path}.${k}` : k, out);
    else out[path] = v;
    return out;
  };
  const shape = ({ e, figures, before }) => {
    const { runs, ...session } = figures.session;
    const byTrace = Object.fromEntries((runs ?? []).map((r) => [r.id, r]));
    return flat({
      session,
      // Runs in the order the script ended them, without their ids.
      runs: e.runs.map((want) => {
        const { id, ...rest } = byTrace[want.id] ?? {};
        return rest;
      }),
      kpis: Object.fromEntries(Object.keys(e.kpis).map((k) => [k, figures.kpis[k] - before[k]])),
    });
  };
  const [first, ...others] = landed;
  const base = shape(first);
  const differences = others.flatMap((x) => {
    const mine = shape(x);
    return [...new Set([...Object.keys(base), ...Object.keys(mine)])]
      .filter((k) => JSON.stringify(base[k]) !== JSON.stringify(mine[k]))
      .map((k) => `${x.s.exporter} ${k} ${JSON.stringify(mine[k])} (${first.s.exporter}: ${JSON.stringify(base[k])})`);
  });
  report('genai-spans', `the same figures from the ${landed.map((x) => x.s.exporter).join(', ')} exporters`,
    differences.join('; ') || 'same', 'same', `${Object.keys(base).length} figures of the session, its runs and the KPI changes`);
}

// ---------------------------------------------------------------- main

/** What `read` fetches of a scenario's runs: all for GenAI spans, the status for Gemini CLI, calls and tokens for Codex. */
const runsOf = (s) => ({ genai: true, gemini: 'status', codex: 'codex' })[s.agent] ?? false;

async function main() {
  const only = process.env.CHECK_ONLY ? new RegExp(process.env.CHECK_ONLY) : null;
  const scenarios = SCENARIOS.filter((s) => !only || only.test(s.id));
  const work = mkdtempSync(join(tmpdir(), 'agentmon-agents-'));
  const started = Date.now();
  console.log(`agentmon: ${BIN}; CLIs: ${CLI_DIR}; work: ${work}`);
  const server = await startAgentmon(work);
  const cleanup = () => server.kill();
  process.once('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => { cleanup(); process.exit(130); });
  try {
    server.run('org', 'create', ORG, '--name', 'Agents');
    const key = server.run('key', 'create', '--org', ORG, '--name', 'agent CLIs').split('\n').pop().trim();
    const token = server.run('token', '--role', 'SUPER_ADMIN', '--sub', 'agents-check', '--ttl', '1h');
    const tap = process.env.CHECK_TAP === '0' ? null : await startTap(server.url);
    const endpoint = `${tap?.url ?? server.url}/otlp`;
    console.log(`agentmon ready on ${server.url} in ${((Date.now() - started) / 1000).toFixed(1)}s; org ${ORG}, key ${key.slice(0, 8)}…`);

    const landed = [];
    for (const s of scenarios) {
      const t0 = Date.now();
      const spans = s.agent === 'genai';
      const before = (await read(server, token, '-', runsOf(s))).kpis;
      const logFrom = readFileSync(server.logFile).length;
      const tapFrom = tap?.seen.length ?? 0;
      const run = await runScenario(s, work, endpoint, key, server.grpcUrl);
      const ran = ((Date.now() - t0) / 1000).toFixed(1);
      let e;
      try {
        e = expectations(s, run.out);
      } catch (error) {
        report(s.id, spans ? 'genai-spans.mjs ran' : 'the CLI ran', false, true, `${error.message}\n${run.log}`);
        continue;
      }
      // Wait until agentmon has projected what it took and the figures agree
      // (or the time is up): then print every check once.
      const deadline = Date.now() + SETTLE_MS;
      let figures;
      for (;;) {
        const p = await projection(server);
        figures = await read(server, token, e.id, runsOf(s));
        if (p.projected >= p.ingested && compare(s, e, figures, before, false)) break;
        if (Date.now() > deadline) break;
        await sleep(250);
      }
      const settled = ((Date.now() - t0) / 1000).toFixed(1);
      console.log(`---- ${s.id}: ${spans ? 'spans exported' : 'CLI ran'} in ${ran}s, figures read at ${settled}s (session ${e.id})`);
      report(s.id, spans ? 'genai-spans.mjs exit code' : 'CLI exit code', e.exitCode, s.exit ?? 0, 'the scenario');
      if (s.agent === 'gemini') {
        // A failed export (refused, or no connection) ends up in "Error shutting down SDK: …".
        const stderr = existsSync(join(run.out, 'stderr')) ? readFileSync(join(run.out, 'stderr'), 'utf8') : '';
        const errors = stderr.split('\n').filter((l) => /Error shutting down SDK|OTLPExporterError|Failed to export/i.test(l));
        report(s.id, 'CLI telemetry errors', errors.join(' | ').slice(0, 500) || 'none', 'none', 'its stderr');
        if (s.proto === 'grpc') info(s.id, 'OTLP/gRPC goes straight to agentmon: encoding, credential header, partial success and resending are not checked');
      }
      if (spans) {
        const r = e.result;
        info(s.id, `${Object.entries(r.versions).map(([p, v]) => `${p}@${v}`).join(', ')}; ${r.processor} span processor, flushed in ${r.flushMs} ms`);
        const results = r.exports.map((x) => `${x.code}${x.error ? ` (${x.error})` : ''}`);
        report(s.id, 'SDK exports', `${r.spans.length} spans in ${r.exports.length} exports: ${[...new Set(results)].join(', ')}`,
          () => r.exports.length > 0 && r.exports.every((x) => x.code === 'SUCCESS') && sum(r.exports, (x) => x.spans) === r.made,
          `each one SUCCESS (the exporter's own result), all ${r.made} spans made`);
        report(s.id, 'SDK warnings and errors', [...r.diagnostics, ...r.flushErrors].join(' | ') || 'none', 'none', 'diag: a partial success or a failed export would show here');
      }
      const requests = otlpRequests(server.logFile, logFrom);
      const bySignal = {};
      for (const r of requests) {
        const k = `${r.path.split('/').pop()} ${r.status}`;
        bySignal[k] = (bySignal[k] ?? 0) + 1;
      }
      const served = Object.entries(bySignal).map(([k, n]) => `${k} x${n}`).sort().join(', ') || 'no export';
      // agentmon logs its HTTP requests, not its gRPC calls.
      if (s.proto !== 'grpc') {
        report(s.id, 'exports agentmon served', served,
          () => requests.length > 0 && requests.every((r) => r.status === 200), 'each one 200 (its log)');
      }
      if (tap && s.proto !== 'grpc') {
        const exports = tap.seen.slice(tapFrom);
        const kinds = (f) => [...new Set(exports.map(f))].join(', ') || 'no export';
        const encoding = `${s.proto === 'json' ? 'application/json' : 'application/x-protobuf'}${s.gzip ? ' gzip' : ''}`;
        report(s.id, 'export encoding', kinds((x) => x.encoding), encoding, `${spans ? `the ${s.exporter} exporter` : `OTEL protocol ${s.proto}`}${s.gzip ? ', gzip' : ''}`);
        report(s.id, 'credential header', kinds((x) => x.auth), s.auth, 'the key as configured');
        const rejected = exports.filter((x) => x.rejected > 0 || x.status !== 200);
        report(s.id, 'records agentmon rejected', sum(exports, (x) => x.rejected),
          0, rejected.length ? `none; agentmon answered ${JSON.stringify(rejected.map(({ body, headers, ...x }) => x))}` : 'OTLP partial success');
        compare(s, e, figures, before, true);
        if (process.env.CHECK_RESEND !== '0') await resend(s, server, token, e, exports, figures);
      } else {
        compare(s, e, figures, before, true);
      }
      for (const note of e.notes) info(s.id, note);
      if (spans && figures.session) landed.push({ s, e, figures, before });
      if (figures.session && s.agent === 'codex') {
        info(s.id, `costUsd ${figures.session.costUsd} (Codex reports no cost); runs: ${(figures.session.runs ?? [])
          .map((r) => `${r.status}${r.errorCategory ? ` (errorCategory ${r.errorCategory})` : ''}`).join(', ') || 'none'}`);
      }
      if (figures.session && s.agent === 'gemini') {
        const files = e.result?.stats?.files;
        info(s.id, `costUsd ${figures.session.costUsd} (Gemini reports no cost); lines ${figures.session.linesAdded}+/${figures.session.linesRemoved}- `
          + `(the CLI's stats: ${files ? `${files.totalLinesAdded}+/${files.totalLinesRemoved}-` : 'none'}; agentmon maps no lines from Gemini CLI)`);
      }
    }
    sameFigures(landed);
    const p = await projection(server);
    report('agentmon', 'dead letters', p.dead, 0, '/metrics');
    tap?.close();
  } finally {
    await server.stop();
    process.off('exit', cleanup);
    // Its data directory (the PostgreSQL cluster) is not worth keeping.
    rmSync(join(work, 'agentmon'), { recursive: true, force: true });
  }
  const total = ((Date.now() - started) / 1000).toFixed(0);
  const passed = outcomes.filter((r) => r.same).length;
  console.log(`\n${passed} ok, ${failures} FAIL, ${scenarios.length} scenarios in ${total}s`);
  if (failures || process.env.CHECK_KEEP === '1') console.log(`kept ${work} (CLI runs in runs/, agentmon's log in agentmon.log)`);
  else rmSync(work, { recursive: true, force: true });
  process.exit(failures ? 1 : 0);
}

main().catch((error) => {
  console.error(`FAIL ${error.stack ?? error}`);
  process.exit(1);
});

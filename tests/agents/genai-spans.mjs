#!/usr/bin/env node
// GenAI semantic-convention spans of one conversation, made and exported
// by the OpenTelemetry project's own JavaScript SDK (BasicTracerProvider,
// a Simple or Batch span processor, forceFlush) with one of its OTLP trace
// exporters: `proto` (OTLP/HTTP protobuf), `json` (OTLP/HTTP JSON) or
// `grpc` (OTLP/gRPC). The SDK comes from AGENT_OTEL_DIR (setup.sh installs
// it there from otel-js/package.json); nothing here is agentmon's.
//
//   node genai-spans.mjs --exporter proto|json|grpc --url URL --key KEY
//        [--auth x-api-key|bearer] [--gzip] [--processor simple|batch] --out DIR
//
// URL: the OTLP/HTTP base (…/otlp: /v1/traces is added) or the gRPC
// address (http://127.0.0.1:PORT). What it sends, with fixed usage:
//
//   trace 1  invoke_agent copilot-test            OK     (the run: SUCCEEDED)
//              chat copilot-test-model            OK     usage CHAT_OK
//              execute_tool read_file             OK
//              chat copilot-test-model            ERROR  usage CHAT_FAILED (cache_creation)
//   trace 2  invoke_agent copilot-test            ERROR  (the run: FAILED)
//              execute_tool run_tests             ERROR
//
// every span with gen_ai.conversation.id = a fresh id (the session), on a
// resource of service.name "copilot-test", enduser.id "dev-42", two session
// attributes, and what the SDK's host, os and process detectors add.
// Writes DIR/result.json: the conversation, the spans as the exporter got
// them (ids, attributes, status, times), each export's result (code, error)
// and the SDK's own warnings and errors (diag: a partial success, an export
// that failed). Exits 0 once it has flushed, whatever the exports answered.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    exporter: { type: 'string' },
    url: { type: 'string' },
    key: { type: 'string' },
    auth: { type: 'string', default: 'x-api-key' },
    gzip: { type: 'boolean', default: false },
    processor: { type: 'string', default: 'batch' },
    out: { type: 'string' },
  },
});
if (!['proto', 'json', 'grpc'].includes(opt.exporter) || !opt.url || !opt.key || !opt.out) {
  console.error('usage: genai-spans.mjs --exporter proto|json|grpc --url URL --key KEY [--auth x-api-key|bearer] [--gzip] [--processor simple|batch] --out DIR');
  process.exit(2);
}

const OTEL_DIR = process.env.AGENT_OTEL_DIR ?? join(process.env.AGENT_CLI_DIR ?? '/var/tmp/agent-clis', 'otel-js');
const require = createRequire(join(OTEL_DIR, 'package.json'));
const api = require('@opentelemetry/api');
const { BasicTracerProvider, SimpleSpanProcessor, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const {
  resourceFromAttributes, defaultResource, detectResources, hostDetector, osDetector, processDetector,
} = require('@opentelemetry/resources');
const version = (p) => JSON.parse(readFileSync(join(OTEL_DIR, 'node_modules', p, 'package.json'), 'utf8')).version;

// Fixed usage. gen_ai.usage.input_tokens includes the cached tokens.
const CHAT_OK = { input: 1500, cacheRead: 1000, cacheWrite: 200, output: 120 };
const CHAT_FAILED = { input: 700, cacheRead: 400, cacheWrite: 100, output: 35 };
const MODEL = 'copilot-test-model';
const SERVICE = 'copilot-test';

const diagnostics = [];
const note = (level) => (...args) => diagnostics.push(`${level}: ${args.map((a) => (typeof a === 'string' ? a : a?.message ?? JSON.stringify(a))).join(' ')}`);
api.diag.setLogger({
  error: note('error'), warn: note('warn'), info: () => {}, debug: () => {}, verbose: () => {},
}, api.DiagLogLevel.WARN);

function exporterOf() {
  const auth = opt.auth === 'bearer' ? { authorization: `Bearer ${opt.key}` } : { 'x-api-key': opt.key };
  const compression = opt.gzip ? 'gzip' : 'none';
  if (opt.exporter === 'grpc') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');
    const { Metadata } = require('@grpc/grpc-js');
    const metadata = new Metadata();
    for (const [k, v] of Object.entries(auth)) metadata.set(k, v);
    return new OTLPTraceExporter({ url: opt.url, metadata, compression });
  }
  const pkg = opt.exporter === 'proto' ? '@opentelemetry/exporter-trace-otlp-proto' : '@opentelemetry/exporter-trace-otlp-http';
  const { OTLPTraceExporter } = require(pkg);
  return new OTLPTraceExporter({
    url: `${opt.url.replace(/\/$/, '')}/v1/traces`,
    headers: opt.auth === 'bearer' ? { Authorization: `Bearer ${opt.key}` } : { 'x-api-key': opt.key },
    compression,
  });
}

// The exporter as is; this only notes what each export was and how it ended.
const exports = [];
const sent = [];
const inner = exporterOf();
const recording = {
  export(spans, done) {
    const started = Date.now();
    for (const s of spans) sent.push(s);
    inner.export(spans, (result) => {
      exports.push({
        spans: spans.length,
        code: result.code === 0 ? 'SUCCESS' : 'FAILED',
        error: result.error ? String(result.error.message ?? result.error) : undefined,
        ms: Date.now() - started,
      });
      done(result);
    });
  },
  shutdown: () => inner.shutdown(),
  forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
};

const resource = defaultResource()
  .merge(detectResources({ detectors: [hostDetector, osDetector, processDetector] }))
  .merge(resourceFromAttributes({
    'service.name': SERVICE,
    'service.version': '0.0.1-test',
    'enduser.id': 'dev-42',
    repository: 'acme/widgets',
    'team.id': 'platform',
  }));
const processor = opt.processor === 'simple' ? new SimpleSpanProcessor(recording) : new BatchSpanProcessor(recording);
const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
const tracer = provider.getTracer('agentmon-check-genai', '1.0.0');

const conversation = `conv-${opt.exporter}-${randomUUID()}`;
const now = Date.now();
const at = (ms) => new Date(now - 60_000 + ms);
const { SpanKind, SpanStatusCode } = api;

// `written`: the attribute of the tokens written to the cache; the
// conventions have named it both ways.
function usage(u, written = 'gen_ai.usage.cache_write.input_tokens') {
  return {
    'gen_ai.usage.input_tokens': u.input,
    'gen_ai.usage.output_tokens': u.output,
    'gen_ai.usage.cache_read.input_tokens': u.cacheRead,
    [written]: u.cacheWrite,
  };
}

let made = 0;
/** A span from `start` to `end` (ms after the first), child of `parent`. */
function span(name, attributes, start, end, parent, status) {
  made += 1;
  const ctx = parent ? api.trace.setSpan(api.context.active(), parent) : api.ROOT_CONTEXT;
  const kind = attributes['gen_ai.operation.name'] === 'chat' ? SpanKind.CLIENT : SpanKind.INTERNAL;
  const s = tracer.startSpan(name, {
    kind,
    startTime: at(start),
    attributes: { 'gen_ai.conversation.id': conversation, ...attributes },
  }, ctx);
  return { s, end: () => { if (status) s.setStatus(status); s.end(at(end)); } };
}

// Trace 1: a run that succeeds, with a failed model call in it.
const agent = span(`invoke_agent ${SERVICE}`, {
  'gen_ai.operation.name': 'invoke_agent',
  'gen_ai.agent.name': SERVICE,
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': MODEL,
}, 0, 10_000);
const chatOk = span(`chat ${MODEL}`, {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': MODEL,
  'gen_ai.response.model': MODEL,
  'gen_ai.response.finish_reasons': ['tool_calls'],
  ...usage(CHAT_OK),
}, 100, 2_100, agent.s);
chatOk.end();
const toolOk = span('execute_tool read_file', {
  'gen_ai.operation.name': 'execute_tool',
  'gen_ai.tool.name': 'read_file',
  'gen_ai.tool.call.id': 'call_1',
  'gen_ai.tool.type': 'function',
}, 2_200, 2_500, agent.s);
toolOk.end();
const chatFailed = span(`chat ${MODEL}`, {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': MODEL,
  'error.type': 'server_error',
  ...usage(CHAT_FAILED, 'gen_ai.usage.cache_creation.input_tokens'),
}, 2_600, 9_900, agent.s, { code: SpanStatusCode.ERROR, message: 'the model answered 500' });
chatFailed.end();
agent.end();

// Trace 2: a run that fails, with a failed tool call.
const failedAgent = span(`invoke_agent ${SERVICE}`, {
  'gen_ai.operation.name': 'invoke_agent',
  'gen_ai.agent.name': SERVICE,
}, 20_000, 24_000, null, { code: SpanStatusCode.ERROR, message: 'the agent gave up: tests failed' });
const toolFailed = span('execute_tool run_tests', {
  'gen_ai.operation.name': 'execute_tool',
  'gen_ai.tool.name': 'run_tests',
  'gen_ai.tool.call.id': 'call_2',
  'gen_ai.tool.type': 'function',
  'error.type': 'exit_code_1',
}, 20_100, 23_000, failedAgent.s, { code: SpanStatusCode.ERROR, message: 'npm test exited with 1' });
toolFailed.end();
failedAgent.end();

// forceFlush rejects when an export failed: that is noted, not thrown.
const t0 = Date.now();
const flushErrors = [];
const why = (e) => (Array.isArray(e) ? e : [e]).map((x) => String(x?.message ?? x)).join('; ');
await provider.forceFlush().catch((e) => flushErrors.push(`forceFlush: ${why(e)}`));
await provider.shutdown().catch((e) => flushErrors.push(`shutdown: ${why(e)}`));
const flushMs = Date.now() - t0;

const hrMs = (t) => t[0] * 1000 + Math.round(t[1] / 1e6);
const result = {
  exporter: opt.exporter,
  processor: opt.processor,
  gzip: opt.gzip,
  auth: opt.auth,
  conversation,
  service: SERVICE,
  user: 'dev-42',
  made,
  versions: Object.fromEntries(['@opentelemetry/api', '@opentelemetry/sdk-trace-base', '@opentelemetry/resources',
    `@opentelemetry/exporter-trace-otlp-${opt.exporter === 'json' ? 'http' : opt.exporter}`].map((p) => [p, version(p)])),
  spans: sent.map((s) => ({
    name: s.name,
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId,
    attributes: s.attributes,
    status: s.status.code === SpanStatusCode.ERROR ? 'ERROR' : s.status.code === SpanStatusCode.OK ? 'OK' : 'UNSET',
    statusMessage: s.status.message,
    durationMs: hrMs(s.endTime) - hrMs(s.startTime),
  })),
  exports,
  diagnostics,
  flushErrors,
  flushMs,
};
mkdirSync(opt.out, { recursive: true });
writeFileSync(join(opt.out, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`${opt.exporter}: ${sent.length} spans in ${exports.length} exports (${exports.map((x) => x.code).join(', ')}), flushed in ${flushMs} ms; conversation ${conversation}`);
for (const d of [...diagnostics, ...flushErrors]) console.log(`  ${d}`);

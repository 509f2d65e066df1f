#!/usr/bin/env node
// OTLP/HTTP capture server for the agent harness.
//
// Accepts POST /v1/{logs,metrics,traces} and /otlp/v1/{logs,metrics,traces},
// JSON or protobuf, gzip or not, and stores every request in --dir:
//   NNNN-<signal>.raw           the body exactly as received (still gzipped if it was)
//   NNNN-<signal>.meta.json     path, content-type, content-encoding, headers, time
//   NNNN-<signal>.decoded.json  the export request as OTLP/JSON (protobuf is
//                               decoded with protobufjs; ids become hex, int64
//                               become strings, as in OTLP/JSON)
// Answers 200 with an empty Export*ServiceResponse in the request's encoding.
//
// Usage: node otlp-capture.mjs --dir DIR [--port 0] [--port-file FILE]
//        [--proto-root /var/tmp/agent-tools/node_modules/otlp-proto-root/build/src/generated/root.js]
// Also: node otlp-capture.mjs --decode FILE.raw --signal logs --content-type ... [--gzip]
//       prints the decoded JSON of one stored body.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';

const args = parseArgs(process.argv.slice(2));
const PROTO_ROOT =
  args['proto-root'] ||
  process.env.OTLP_PROTO_ROOT ||
  '/var/tmp/agent-tools/node_modules/otlp-proto-root/build/src/generated/root.js';

let protoRoot = null;
function proto() {
  if (protoRoot === null) {
    try {
      protoRoot = createRequire(import.meta.url)(PROTO_ROOT);
    } catch (e) {
      protoRoot = false;
      console.error(`[otlp-capture] protobuf decoding unavailable (${PROTO_ROOT}): ${e.message}`);
    }
  }
  return protoRoot || null;
}

const TYPES = {
  logs: ['logs', 'ExportLogsServiceRequest', 'ExportLogsServiceResponse'],
  metrics: ['metrics', 'ExportMetricsServiceRequest', 'ExportMetricsServiceResponse'],
  traces: ['trace', 'ExportTraceServiceRequest', 'ExportTraceServiceResponse'],
};

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const k = a.slice(2);
      const v = argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : 'true';
      out[k] = v;
    }
  }
  return out;
}

const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

// Convert protobufjs object output to OTLP/JSON conventions.
function normalize(v, key) {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
    const b = Buffer.from(v);
    return ID_KEYS.has(key) ? b.toString('hex') : b.toString('base64');
  }
  if (Array.isArray(v)) return v.map((x) => normalize(x, key));
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = normalize(x, k);
    return o;
  }
  return v;
}

export function decodeBody(signal, contentType, body) {
  if ((contentType || '').includes('json')) return JSON.parse(body.toString('utf8'));
  const root = proto();
  if (!root) return { _undecoded: true, bytes: body.length };
  const [ns, reqName] = TYPES[signal];
  const T = root.opentelemetry.proto.collector[ns].v1[reqName];
  const msg = T.decode(body);
  return normalize(
    T.toObject(msg, { longs: String, enums: Number, bytes: Buffer, defaults: false, arrays: true, oneofs: false }),
  );
}

function signalOf(url) {
  const m = /^(?:\/otlp)?\/v1\/(logs|metrics|traces)\/?(?:\?.*)?$/.exec(url);
  return m ? m[1] : null;
}

function startServer() {
  const dir = args.dir || '/var/tmp/agent-captures/otlp';
  fs.mkdirSync(dir, { recursive: true });
  let seq = 0;
  const counts = { logs: 0, metrics: 0, traces: 0, other: 0, errors: 0 };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      if (req.method === 'GET' && req.url === '/_stats') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(counts));
        return;
      }
      const signal = req.method === 'POST' ? signalOf(req.url) : null;
      const n = String(++seq).padStart(4, '0');
      const ct = req.headers['content-type'] || '';
      const ce = req.headers['content-encoding'] || '';
      const base = path.join(dir, `${n}-${signal || 'other'}`);
      const meta = {
        seq: Number(n),
        method: req.method,
        path: req.url,
        contentType: ct,
        contentEncoding: ce,
        contentLength: raw.length,
        headers: req.headers,
        receivedAt: new Date().toISOString(),
      };
      fs.writeFileSync(`${base}.raw`, raw);
      if (!signal) {
        counts.other++;
        fs.writeFileSync(`${base}.meta.json`, JSON.stringify(meta, null, 2));
        console.error(`[otlp-capture] ${req.method} ${req.url}: not an OTLP path -> 404`);
        res.writeHead(404);
        res.end();
        return;
      }
      counts[signal]++;
      let body = raw;
      try {
        if (/gzip/i.test(ce)) body = zlib.gunzipSync(raw);
        else if (/deflate/i.test(ce)) body = zlib.inflateSync(raw);
        const decoded = decodeBody(signal, ct, body);
        fs.writeFileSync(`${base}.decoded.json`, JSON.stringify(decoded, null, 2));
        meta.decoded = true;
      } catch (e) {
        counts.errors++;
        meta.decodeError = String(e && e.stack ? e.stack : e);
        console.error(`[otlp-capture] decode error for ${base}: ${e.message}`);
      }
      fs.writeFileSync(`${base}.meta.json`, JSON.stringify(meta, null, 2));
      console.error(`[otlp-capture] ${n} ${signal} ${ct} ${ce || 'identity'} ${raw.length}B`);
      if (ct.includes('json')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      } else {
        res.writeHead(200, { 'content-type': 'application/x-protobuf' });
        res.end(Buffer.alloc(0));
      }
    });
  });

  server.listen(Number(args.port || 0), args.host || '127.0.0.1', () => {
    const port = server.address().port;
    if (args['port-file']) fs.writeFileSync(args['port-file'], String(port));
    console.error(`[otlp-capture] listening on http://127.0.0.1:${port} -> ${dir}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (args.decode) {
  let body = fs.readFileSync(args.decode);
  if (args.gzip === 'true') body = zlib.gunzipSync(body);
  console.log(JSON.stringify(decodeBody(args.signal, args['content-type'] || 'application/x-protobuf', body), null, 2));
} else {
  startServer();
}

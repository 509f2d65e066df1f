#!/usr/bin/env node
// OTLP/gRPC capture server (plaintext HTTP/2, no dependencies besides the
// protobuf decoder of otlp-capture.mjs), for agents whose only binary export
// is gRPC (the Gemini CLI: otlpProtocol "grpc", gzip).
//
// Accepts the unary Export calls of the OTLP Logs/Metrics/Trace services and
// stores every request in --dir like otlp-capture.mjs:
//   NNNN-<signal>.raw           the HTTP/2 request body exactly as received
//                               (gRPC length-prefixed message(s), maybe gzipped)
//   NNNN-<signal>.meta.json     :path, content-type, grpc-encoding, headers, time
//   NNNN-<signal>.decoded.json  the export request as OTLP/JSON
// Answers grpc-status 0 with an empty Export*ServiceResponse.
//
// Usage: node otlp-grpc-capture.mjs --dir DIR [--port 0] [--port-file FILE]
//        [--proto-root .../otlp-proto-root/build/src/generated/root.js]
import http2 from 'node:http2';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';

const args = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a.startsWith('--')) {
    const v = process.argv[i + 1] && !process.argv[i + 1].startsWith('--') ? process.argv[++i] : 'true';
    args[a.slice(2)] = v;
  }
}
const PROTO_ROOT =
  args['proto-root'] ||
  process.env.OTLP_PROTO_ROOT ||
  '/var/tmp/agent-tools/node_modules/otlp-proto-root/build/src/generated/root.js';
const root = createRequire(import.meta.url)(PROTO_ROOT);

const SERVICES = {
  '/opentelemetry.proto.collector.logs.v1.LogsService/Export': ['logs', 'logs', 'ExportLogsServiceRequest'],
  '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export': ['metrics', 'metrics', 'ExportMetricsServiceRequest'],
  '/opentelemetry.proto.collector.trace.v1.TraceService/Export': ['traces', 'trace', 'ExportTraceServiceRequest'],
};
const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);
function normalize(v, key) {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
    const b = Buffer.from(v);
    return ID_KEYS.has(key) ? b.toString('hex') : b.toString('base64');
  }
  if (Array.isArray(v)) return v.map((x) => normalize(x, key));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x, k)]));
  return v;
}

/** Splits a gRPC body into its messages (5-byte prefix: compressed flag, u32 length). */
function messages(body, encoding) {
  const out = [];
  for (let o = 0; o + 5 <= body.length; ) {
    const compressed = body[o] === 1;
    const len = body.readUInt32BE(o + 1);
    let msg = body.subarray(o + 5, o + 5 + len);
    if (compressed) msg = /deflate/.test(encoding) ? zlib.inflateSync(msg) : zlib.gunzipSync(msg);
    out.push({ compressed, msg });
    o += 5 + len;
  }
  return out;
}

const dir = args.dir || '/var/tmp/agent-captures/otlp';
fs.mkdirSync(dir, { recursive: true });
let seq = 0;
const server = http2.createServer();
server.on('stream', (stream, headers) => {
  const chunks = [];
  stream.on('data', (c) => chunks.push(c));
  stream.on('end', () => {
    const raw = Buffer.concat(chunks);
    const svc = SERVICES[headers[':path']];
    const signal = svc ? svc[0] : 'other';
    const n = String(++seq).padStart(4, '0');
    const base = path.join(dir, `${n}-${signal}`);
    const enc = headers['grpc-encoding'] || '';
    const meta = {
      seq: Number(n),
      method: headers[':method'],
      path: headers[':path'],
      contentType: headers['content-type'] || '',
      contentEncoding: enc ? `grpc-encoding ${enc}` : '',
      contentLength: raw.length,
      headers: Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith(':'))),
      receivedAt: new Date().toISOString(),
    };
    fs.writeFileSync(`${base}.raw`, raw);
    if (svc) {
      try {
        const T = root.opentelemetry.proto.collector[svc[1]].v1[svc[2]];
        const msgs = messages(raw, enc);
        meta.grpcMessages = msgs.map((m) => ({ compressed: m.compressed, bytes: m.msg.length }));
        const decoded = normalize(
          T.toObject(T.decode(msgs[0].msg), { longs: String, enums: Number, bytes: Buffer, defaults: false, arrays: true, oneofs: false }),
        );
        fs.writeFileSync(`${base}.decoded.json`, JSON.stringify(decoded, null, 2));
        meta.decoded = true;
      } catch (e) {
        meta.decodeError = String(e && e.stack ? e.stack : e);
        console.error(`[otlp-grpc-capture] decode error for ${base}: ${e.message}`);
      }
    }
    fs.writeFileSync(`${base}.meta.json`, JSON.stringify(meta, null, 2));
    console.error(`[otlp-grpc-capture] ${n} ${headers[':path']} ${enc || 'identity'} ${raw.length}B`);
    if (!svc) {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unimplemented' }, { endStream: true });
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': '' }));
    stream.end(Buffer.from([0, 0, 0, 0, 0])); // one uncompressed, empty response message
  });
});
server.listen(Number(args.port || 0), args.host || '127.0.0.1', () => {
  const port = server.address().port;
  if (args['port-file']) fs.writeFileSync(args['port-file'], String(port));
  console.error(`[otlp-grpc-capture] listening on http://127.0.0.1:${port} -> ${dir}`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

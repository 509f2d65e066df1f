#!/usr/bin/env node
// Summarises an otlp-capture directory: which log events, spans and metrics
// arrived, with the union of their attribute keys and a sample value each.
// Usage: node summarize.mjs CAPTURE_DIR/otlp [--records]   (prints JSON)
//   --records also prints every log record / span flattened, one per line (JSONL)
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const wantRecords = process.argv.includes('--records');

export function anyValue(v) {
  if (!v || typeof v !== 'object') return v;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v) return (v.arrayValue.values || []).map(anyValue);
  if ('kvlistValue' in v) return attrs(v.kvlistValue.values);
  if ('bytesValue' in v) return `bytes:${v.bytesValue}`;
  return v;
}
export function attrs(list) {
  const o = {};
  for (const kv of list || []) o[kv.key] = anyValue(kv.value);
  return o;
}
function typeOf(v) {
  return Array.isArray(v) ? 'array' : typeof v;
}

const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.decoded.json')).sort() : [];
const out = { requests: {}, contentTypes: {}, resources: {}, scopes: {}, logEvents: {}, spans: {}, metrics: {} };
const records = [];

function addKeys(target, a, rawList) {
  for (const [k, v] of Object.entries(a)) {
    const raw = (rawList || []).find((kv) => kv.key === k)?.value;
    const t = raw ? Object.keys(raw)[0] : typeOf(v);
    if (!target[k]) target[k] = { type: t, sample: v };
    else if (target[k].sample !== v && typeof v !== 'object') (target[k].others ||= new Set()).add(v);
  }
}

for (const f of files) {
  const signal = f.replace(/^\d+-/, '').replace('.decoded.json', '');
  out.requests[signal] = (out.requests[signal] || 0) + 1;
  const meta = JSON.parse(fs.readFileSync(path.join(dir, f.replace('.decoded.json', '.meta.json')), 'utf8'));
  const ctKey = `${signal} ${meta.contentType} ${meta.contentEncoding || 'identity'}`;
  out.contentTypes[ctKey] = (out.contentTypes[ctKey] || 0) + 1;
  const d = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  const rlist = d.resourceLogs || d.resourceSpans || d.resourceMetrics || [];
  for (const r of rlist) {
    const ra = attrs(r.resource?.attributes);
    addKeys(out.resources, ra, r.resource?.attributes);
    for (const s of r.scopeLogs || r.scopeSpans || r.scopeMetrics || []) {
      const sk = `${signal}: ${s.scope?.name || ''} ${s.scope?.version || ''}`.trim();
      out.scopes[sk] = (out.scopes[sk] || 0) + 1;
      for (const lr of s.logRecords || []) {
        const a = attrs(lr.attributes);
        const name = a['event.name'] || lr.eventName || (typeof anyValue(lr.body) === 'string' ? anyValue(lr.body) : '(no name)');
        const e = (out.logEvents[name] ||= { count: 0, attributes: {}, fields: {}, body: {} });
        e.count++;
        addKeys(e.attributes, a, lr.attributes);
        for (const k of Object.keys(lr)) if (k !== 'attributes') e.fields[k] = (e.fields[k] || 0) + 1;
        const bt = lr.body ? Object.keys(lr.body)[0] : lr.body === null ? "null" : "absent";
        e.body[bt] = (e.body[bt] || 0) + 1;
        if (wantRecords) records.push({ rec: 'log', file: f, name, ...lr, attributes: a, resource: ra, scope: s.scope });
      }
      for (const sp of s.spans || []) {
        const a = attrs(sp.attributes);
        const e = (out.spans[sp.name] ||= { count: 0, attributes: {}, kinds: {}, status: {}, events: {}, parents: {} });
        e.count++;
        addKeys(e.attributes, a, sp.attributes);
        e.kinds[sp.kind] = (e.kinds[sp.kind] || 0) + 1;
        const st = sp.status?.code ?? 'unset';
        e.status[st] = (e.status[st] || 0) + 1;
        for (const ev of sp.events || []) e.events[ev.name] = Object.keys(attrs(ev.attributes));
        if (wantRecords) records.push({ ...sp, rec: 'span', file: f, attributes: a, resource: ra, scope: s.scope });
      }
      for (const m of s.metrics || []) {
        const kind = ['sum', 'gauge', 'histogram', 'exponentialHistogram', 'summary'].find((k) => m[k]);
        const e = (out.metrics[m.name] ||= { count: 0, kind, unit: m.unit, description: m.description, attributes: {}, temporality: m[kind]?.aggregationTemporality, isMonotonic: m[kind]?.isMonotonic, points: 0 });
        e.count++;
        for (const p of m[kind]?.dataPoints || []) {
          e.points++;
          addKeys(e.attributes, attrs(p.attributes), p.attributes);
          if (wantRecords) records.push({ rec: 'metric', file: f, name: m.name, type: kind, unit: m.unit, temporality: m[kind]?.aggregationTemporality, ...p, attributes: attrs(p.attributes), resource: ra });
        }
      }
    }
  }
}

const short = (v) => {
  const s = JSON.stringify(v);
  return s && s.length > 60 ? s.slice(0, 57) + '...' : s;
};
if (wantRecords) for (const r of records) console.log(JSON.stringify(r));
else if (process.argv.includes('--compact')) {
  // One line per thing: name [count] key=sample, ...
  console.log('requests', JSON.stringify(out.requests), JSON.stringify(out.contentTypes));
  console.log('resource:', Object.entries(out.resources).map(([k, v]) => `${k}=${short(v.sample)}`).join(', '));
  console.log('scopes:', Object.keys(out.scopes).join('; '));
  for (const [n, e] of Object.entries(out.logEvents))
    console.log(`LOG ${n} [${e.count}] fields=${Object.keys(e.fields).join('/')} body=${JSON.stringify(e.body)}\n    ${Object.entries(e.attributes).map(([k, v]) => `${k}=${short(v.sample)}`).join(', ')}`);
  for (const [n, e] of Object.entries(out.spans))
    console.log(`SPAN ${n} [${e.count}] kinds=${JSON.stringify(e.kinds)} status=${JSON.stringify(e.status)} events=${JSON.stringify(e.events)}\n    ${Object.entries(e.attributes).map(([k, v]) => `${k}=${short(v.sample)}`).join(', ')}`);
  for (const [n, e] of Object.entries(out.metrics))
    console.log(`METRIC ${n} [${e.kind} ${e.unit || ''} temporality=${e.temporality} monotonic=${e.isMonotonic} points=${e.points}]\n    ${Object.entries(e.attributes).map(([k, v]) => `${k}=${short(v.sample)}`).join(', ')}`);
} else console.log(JSON.stringify(out, null, 2));

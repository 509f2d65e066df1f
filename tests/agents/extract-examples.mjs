#!/usr/bin/env node
// Writes one complete OTLP/JSON export request per event kind (log event name,
// span name, metric name) found in capture directories, so each file can be
// replayed as-is to an OTLP/HTTP JSON endpoint.
//
// Usage: node extract-examples.mjs OUT_DIR PREFIX CAPTURE_DIR[@TAG[@name,name...]] ...
//   PREFIX  e.g. "claude" -> OUT_DIR/claude/log-api_request.json
//   TAG     suffix for the file names of that capture (e.g. "fail"); then only
//           the listed names are taken from it (all when no list).
// Kinds already written by an earlier capture without a tag are not overwritten.
import fs from 'node:fs';
import path from 'node:path';

const [outDir, prefix, ...sources] = process.argv.slice(2);
const dest = path.join(outDir, prefix);
fs.mkdirSync(dest, { recursive: true });
const written = new Set();
const safe = (s) => s.replace(/[^A-Za-z0-9_.-]+/g, '_');

function write(file, obj) {
  if (written.has(file)) return;
  written.add(file);
  fs.writeFileSync(path.join(dest, file), JSON.stringify(obj, null, 2) + '\n');
}

for (const src of sources) {
  const [dir, tag = '', list = ''] = src.split('@');
  const only = list ? new Set(list.split(',')) : null;
  const otlp = path.join(dir, 'otlp');
  const files = fs.readdirSync(otlp).filter((f) => f.endsWith('.decoded.json')).sort();
  for (const f of files) {
    const d = JSON.parse(fs.readFileSync(path.join(otlp, f), 'utf8'));
    const sfx = tag ? `--${tag}` : '';
    for (const rl of d.resourceLogs || [])
      for (const sl of rl.scopeLogs || [])
        for (const r of sl.logRecords || []) {
          const name = r.attributes?.find((a) => a.key === 'event.name')?.value?.stringValue || r.eventName || '(unnamed)';
          if (only && !only.has(name)) continue;
          write(`log-${safe(name)}${sfx}.json`, { resourceLogs: [{ ...rl, scopeLogs: [{ ...sl, logRecords: [r] }] }] });
        }
    for (const rs of d.resourceSpans || [])
      for (const ss of rs.scopeSpans || [])
        for (const s of ss.spans || []) {
          if (only && !only.has(s.name)) continue;
          write(`span-${safe(s.name)}${sfx}.json`, { resourceSpans: [{ ...rs, scopeSpans: [{ ...ss, spans: [s] }] }] });
        }
    for (const rm of d.resourceMetrics || [])
      for (const sm of rm.scopeMetrics || [])
        for (const m of sm.metrics || []) {
          if (only && !only.has(m.name)) continue;
          write(`metric-${safe(m.name)}${sfx}.json`, { resourceMetrics: [{ ...rm, scopeMetrics: [{ ...sm, metrics: [m] }] }] });
        }
  }
}
console.error(`${prefix}: wrote ${written.size} files to ${dest}`);

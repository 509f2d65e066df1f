// What the scripted fakes of the model APIs share: their command line,
// their scenarios (built in or a JSON file), ${CWD} in tool inputs, the
// request log, and listening on a free loopback port (written to
// --port-file) until SIGTERM or SIGINT.

import fs from 'node:fs';

/** `--name value` pairs of the command line (a bare `--flag` is 'true'). */
export const args = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a.startsWith('--')) {
    const v = process.argv[i + 1] && !process.argv[i + 1].startsWith('--') ? process.argv[++i] : 'true';
    args[a.slice(2)] = v;
  }
}

/** A built-in scenario by name (a copy), else one read from a JSON file. */
export function loadScenario(scenarios, name = 'basic') {
  if (scenarios[name]) return structuredClone(scenarios[name]);
  return JSON.parse(fs.readFileSync(name, 'utf8'));
}

/** `v` with every `${CWD}` in its strings replaced by `cwd`. */
export function subst(v, cwd) {
  if (typeof v === 'string') return v.replaceAll('${CWD}', cwd);
  if (Array.isArray(v)) return v.map((x) => subst(x, cwd));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, subst(x, cwd)]));
  return v;
}

/** Appends one JSON line per call to `--log`, when given. */
export const log = (o) => {
  if (args.log) fs.appendFileSync(args.log, JSON.stringify(o) + '\n');
};

/** Listens on `--port` (0: a free one), writes it to `--port-file`, stops on a signal. */
export function listen(server, label) {
  server.listen(Number(args.port || 0), '127.0.0.1', () => {
    const port = server.address().port;
    if (args['port-file']) fs.writeFileSync(args['port-file'], String(port));
    console.error(`[${label}] scenario=${args.scenario || 'basic'} listening on http://127.0.0.1:${port}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

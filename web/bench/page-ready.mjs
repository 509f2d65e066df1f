// How soon the dashboard is ready in a fresh browser page, against the
// overview's 500 ms target. Against `agentmon serve --demo` (AGENTMON_BIN,
// a debug build unless told; CHROMIUM as for the tests), in turn, LOADS
// times (default 9) after one load of each that warms the server:
//   - the sign-in form drawn (the dashboard's code fetched and run, no
//     question asked): the baseline of this machine in this run;
//   - the org overview of 30 days (the default) and of 90 days, its KPI
//     cards and every chart drawn with the demo's figures.
// Prints each one's median and spread, the overview's ratio to the
// baseline, and whether its median meets the target.
//
//   node web/bench/page-ready.mjs [LOADS]
import { startServer } from '../tests/server.js';
import { launch } from '../tests/browser.js';
import { median, overviewReadyTime, signInReadyTime } from '../tests/ready.js';

const LOADS = Number(process.argv[2] ?? 9);
const TARGET_MS = 500;
if (!(LOADS > 0)) {
  console.error('usage: page-ready.mjs [LOADS]');
  process.exit(2);
}

const server = await startServer();
const browser = await launch();
try {
  const admin = server.token('SUPER_ADMIN', { sub: 'demo-admin' });
  const kinds = {
    'sign-in form (baseline)': () => signInReadyTime(browser, server),
    'overview, 30 d': () => overviewReadyTime(browser, server, admin, '/org/demo-1/overview'),
    'overview, 90 d': () => overviewReadyTime(browser, server, admin, '/org/demo-1/overview?days=90'),
  };
  const times = Object.fromEntries(Object.keys(kinds).map((name) => [name, []]));
  for (const load of Object.values(kinds)) await load();
  // In turn, so that the machine's other load falls on each alike.
  for (let i = 0; i < LOADS; i += 1) {
    for (const [name, load] of Object.entries(kinds)) times[name].push(await load());
  }
  const baseline = median(times['sign-in form (baseline)']);
  console.log(`page ready, median of ${LOADS} fresh loads each (${process.env.AGENTMON_BIN ?? 'debug build'}):`);
  for (const [name, all] of Object.entries(times)) {
    const sorted = [...all].sort((a, b) => a - b).map(Math.round);
    const m = median(all);
    const ratio = name.startsWith('overview') ? `, ${(m / baseline).toFixed(2)}× the baseline, ${m < TARGET_MS ? 'within' : 'OVER'} the ${TARGET_MS} ms target` : '';
    console.log(`  ${name}: ${Math.round(m)} ms (${sorted[0]}–${sorted[sorted.length - 1]})${ratio}`);
  }
} finally {
  await browser.close();
  await server.stop();
}

// How soon a manager sees the overview: from navigation start of a fresh
// page until its KPI cards and every chart are drawn with the demo's
// figures (tests/ready.js). The median of five loads of the default range
// (30 days), after one load that warms the server, and of 90 days is
// printed against the 500 ms target. The target itself is measured by
// `node web/bench/page-ready.mjs`, against a baseline page in the same
// run: this 2-core machine's medians move by ±100 ms with its other load
// (a CI run printed 510 ms where runs here printed 300–470 ms for the same
// commit), so a test held to 500 ms fails on the machine, not the page.
// This test fails the run on a regression that doubles the time: the
// unbundled dashboard (sixty modules) took 750–880 ms.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withDashboard } from './suite.js';
import { median, overviewReadyTime } from './ready.js';

const LOADS = 5;
/** The target: figures and charts drawn within half a second (see bench/page-ready.mjs). */
const TARGET_MS = 500;
/** What the test enforces: twice the target. */
const CEILING_MS = 2 * TARGET_MS;
let server;
let browser;
let admin;

withDashboard((s, b) => {
  [server, browser] = [s, b];
  admin = server.token('SUPER_ADMIN', { sub: 'demo-admin' });
});

describe('overview ready time', () => {
  test(`the overview is ready with its figures and charts, the median of ${LOADS} fresh loads under ${CEILING_MS} ms (30 and 90 days; printed against the ${TARGET_MS} ms target)`, async () => {
    const results = {};
    for (const [name, path] of [['30 d (default)', '/org/demo-1/overview'], ['90 d', '/org/demo-1/overview?days=90']]) {
      // One load first, not counted: the server's first answers after the
      // demo was generated read cold pages; a manager's visit finds it warm.
      await overviewReadyTime(browser, server, admin, path);
      const times = [];
      for (let i = 0; i < LOADS; i += 1) times.push(await overviewReadyTime(browser, server, admin, path));
      results[name] = { median: Math.round(median(times)), loads: times.map(Math.round) };
      const verdict = results[name].median < TARGET_MS ? 'within' : 'OVER';
      console.log(`overview ready, ${name}: median ${results[name].median} ms of ${LOADS} fresh loads (${results[name].loads.join(', ')} ms), ${verdict} the ${TARGET_MS} ms target`);
    }
    for (const [name, { median: ms }] of Object.entries(results)) assert.ok(ms < CEILING_MS, `${name} median ${ms} ms`);
  });
});

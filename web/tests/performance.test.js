// How soon a manager sees the overview: from navigation start of a fresh
// page (a new browser context, signed in through a sign-in link, nothing
// cached) until its KPI cards and every chart are drawn with the demo's
// figures, which the page marks as `overview-ready`. The median of five
// loads of the default range (30 days), after one load that warms the
// server, is printed against the 500 ms target and must stay under a
// ceiling (see CEILING_MS); the 90-day range is measured and printed too.
// The binary serves the dashboard bundled into one module.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withDashboard } from './suite.js';
import { signedIn } from './browser.js';

const LOADS = 5;
/** The target: figures and charts drawn within half a second. */
const TARGET_MS = 500;
/**
 * What the test enforces: the target itself. With the bundled dashboard, a
 * signed-in request that no longer looks its membership up each time, the
 * dashboard's code run only after the page's questions have left, the
 * charts' numbers tables made only when opened and the charts made after
 * all their reads, the medians on the 2-core machine are 415–445 ms (30
 * days) and 430–490 ms (90 days), and move by ±60 ms with the machine's
 * other load, so a miss is a regression.
 */
const CEILING_MS = TARGET_MS;
let server;
let browser;
let admin;

withDashboard((s, b) => {
  [server, browser] = [s, b];
  admin = server.token('SUPER_ADMIN', { sub: 'demo-admin' });
});

/** Milliseconds from navigation start to `overview-ready` on a fresh page of `path`, checked to show figures. */
async function readyTime(path) {
  const page = await signedIn(browser, server, admin, path, { viewport: { width: 1280, height: 900 } });
  const mark = await page.waitForFunction(() => performance.getEntriesByName('overview-ready')[0]?.startTime, null, { timeout: 15_000 });
  const ms = await mark.jsonValue();
  const drawn = await page.evaluate(() => ({
    cards: document.querySelectorAll('main .card .value').length,
    plots: [...document.querySelectorAll('main .chart [role="img"]')].map((el) => el.uplot?.data[0].length ?? 0),
  }));
  assert.ok(drawn.cards >= 10, `the KPI cards are shown (${drawn.cards})`);
  assert.ok(drawn.plots.length >= 7 && drawn.plots.every((n) => n > 0), `every chart has points: ${drawn.plots}`);
  await page.context().close();
  return ms;
}

const median = (all) => [...all].sort((a, b) => a - b)[Math.floor(all.length / 2)];

describe('overview ready time', () => {
  test(`the overview of the default 30 days is ready in under ${CEILING_MS} ms (median of ${LOADS} fresh loads, against a ${TARGET_MS} ms target); 90 days printed`, async () => {
    const results = {};
    for (const [name, path] of [['30 d (default)', '/org/demo-1/overview'], ['90 d', '/org/demo-1/overview?days=90']]) {
      // One load first, not counted: the server's first answers after the
      // demo was generated read cold pages; a manager's visit finds it warm.
      await readyTime(path);
      const times = [];
      for (let i = 0; i < LOADS; i += 1) times.push(await readyTime(path));
      results[name] = { median: Math.round(median(times)), loads: times.map(Math.round) };
      const verdict = results[name].median < TARGET_MS ? 'within' : 'OVER';
      console.log(`overview ready, ${name}: median ${results[name].median} ms of ${LOADS} fresh loads (${results[name].loads.join(', ')} ms), ${verdict} the ${TARGET_MS} ms target`);
    }
    assert.ok(results['30 d (default)'].median < CEILING_MS, `30 d median ${results['30 d (default)'].median} ms`);
  });
});

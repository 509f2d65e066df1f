// Waste on the overview: what the range spent on failed or cancelled runs,
// on model calls that failed for good, and in sessions without any code
// change, each with its share of the cost and the sessions behind it one
// click away. The test sends sessions of its own into a demo org, reads
// the demo's own waste once before, and checks every card against that
// plus what it works out from the events it sent; the link lists the
// sessions the events say are behind the figure. Screenshots of the
// section at 1280 and 390 px, light and dark, go to WASTE_SHOTS (default
// /tmp/shots-waste).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withDashboard } from './suite.js';
import { expectAccessible, number, shift, signedIn, today, until } from './browser.js';

const SHOTS = process.env.WASTE_SHOTS ?? '/tmp/shots-waste';
mkdirSync(SHOTS, { recursive: true });

const ORG = 'demo-1';
let server;
let browser;
let admin;

withDashboard((s, b) => {
  [server, browser] = [s, b];
  admin = server.token('SUPER_ADMIN', { sub: 'waste-admin' });
});

const uid = randomUUID().slice(0, 8);
/** Dollars as an exact count of ten-thousandths (every cost here has at most four decimals). */
const cents4 = (text) => Math.round(Number(text ?? 0) * 10_000);

/**
 * Three sessions minutes ago: a failed run whose calls cost (one failed
 * for good) and that changed code; a cancelled run reporting its cost and
 * no code; a succeeded run with a commit.
 */
function sessions() {
  const at = (minutes) => new Date(Date.now() - minutes * 60_000).toISOString();
  const events = [];
  const session = (name, status, calls, code, runCost) => {
    const base = { org: ORG, sessionId: `waste-${name}-${uid}`, userId: `waste-user-${name}` };
    const runId = `waste-run-${name}-${uid}`;
    const e = (type, minutes, extra = {}) => events.push({ ...base, eventId: randomUUID(), type, occurredAt: at(minutes), ...extra });
    e('RUN_STARTED', 30, { runId });
    calls.forEach((modelCall, i) => e('MODEL_CALL', 28 - i, { runId, modelCall: { model: `waste-model-${uid}`, ...modelCall } }));
    code.forEach((c) => e('CODE_CHANGE', 15, { code: c }));
    e('RUN_FINISHED', 10, { runId, run: { status, ...(runCost ? { costUsd: runCost } : {}) } });
  };
  session('failed', 'FAILED', [{ outputTokens: 10, costUsd: '1.2500' }, { outputTokens: 1, costUsd: '0.7500', error: 'overloaded' }], [{ linesAdded: 40 }]);
  session('cancelled', 'CANCELLED', [], [], '2.5000');
  session('done', 'SUCCEEDED', [{ outputTokens: 10, costUsd: '0.5000' }], [{ commits: 1 }]);
  return events;
}

/** The waste of the events, in ten-thousandths, and the sessions behind each. */
function waste(events) {
  const cost = (e) => cents4(e.type === 'MODEL_CALL' ? e.modelCall.costUsd : e.run?.costUsd);
  const withCalls = new Set(events.filter((e) => e.type === 'MODEL_CALL').map((e) => e.runId));
  const withCode = new Set(events.filter((e) => e.type === 'CODE_CHANGE').map((e) => e.sessionId));
  const costs = events.filter((e) => e.type === 'MODEL_CALL' || (e.type === 'RUN_FINISHED' && !withCalls.has(e.runId)));
  const runCost = (f) => (withCalls.has(f.runId) ? events.filter((e) => e.type === 'MODEL_CALL' && e.runId === f.runId).reduce((t, e) => t + cost(e), 0) : cost(f));
  const failedRuns = events.filter((e) => e.type === 'RUN_FINISHED' && e.run.status !== 'SUCCEEDED');
  const failedCalls = events.filter((e) => e.type === 'MODEL_CALL' && e.modelCall.error);
  const noCode = costs.filter((e) => !withCode.has(e.sessionId));
  return {
    cost: costs.reduce((t, e) => t + cost(e), 0),
    FAILED_RUNS: { value: failedRuns.reduce((t, f) => t + runCost(f), 0), sessions: failedRuns.map((e) => e.sessionId) },
    FAILED_MODEL_CALLS: { value: failedCalls.reduce((t, e) => t + cost(e), 0), sessions: failedCalls.map((e) => e.sessionId) },
    NO_CODE: { value: noCode.reduce((t, e) => t + cost(e), 0), sessions: noCode.map((e) => e.sessionId) },
  };
}

const FIELDS = { FAILED_RUNS: 'failedRunCostUsd', FAILED_MODEL_CALLS: 'failedModelCallCostUsd', NO_CODE: 'noCodeCostUsd' };
const LABELS = { FAILED_RUNS: 'Spent on failed runs', FAILED_MODEL_CALLS: 'Spent on failed model calls', NO_CODE: 'Spent without code' };

async function kpis(r) {
  const q = `query($r: DateRange!) { org(slug: "${ORG}") { overview(range: $r) { kpis { costUsd ${Object.values(FIELDS).join(' ')} } } } }`;
  return (await server.gql(admin, q, { r })).org.overview.kpis;
}

let sent = null;

async function sendOnce() {
  if (sent) return sent;
  const { org: { timezone } } = await server.gql(admin, `{ org(slug: "${ORG}") { timezone } }`);
  const r = { from: shift(today(timezone), -6), to: today(timezone) };
  const before = await kpis(r);
  const events = sessions();
  const { ingestEvents } = await server.gql(server.ingestToken(), 'mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted rejected { message } } }', { e: events });
  assert.deepEqual(ingestEvents, { accepted: events.length, rejected: [] });
  await server.settled();
  const mine = waste(events);
  const want = {
    cost: cents4(before.costUsd) + mine.cost,
    ...Object.fromEntries(Object.entries(FIELDS).map(([kind, field]) => [kind, { value: cents4(before[field]) + mine[kind].value, sessions: mine[kind].sessions }])),
  };
  await until(async () => cents4((await kpis(r)).costUsd) === want.cost, 'the sessions to be projected', 30_000);
  sent = { r, want };
  return sent;
}

async function overview(options = {}) {
  const page = await signedIn(browser, server, admin, `/org/${ORG}/overview?days=7`, options);
  await page.locator('section[aria-labelledby="waste"] .card').first().waitFor();
  return page;
}

describe('waste on the overview', () => {
  test('each card shows what the events say was spent for nothing, and its share of the cost', async () => {
    const { r, want } = await sendOnce();
    const page = await overview();
    const section = page.locator('section[aria-labelledby="waste"]');
    for (const [kind, label] of Object.entries(LABELS)) {
      const card = section.locator('.card', { has: page.locator('.label', { hasText: new RegExp(`^${label}$`) }) });
      const value = number(await card.locator('.value').textContent());
      assert.ok(Math.abs(value * 10_000 - want[kind].value) < 50, `${label}: ${value} shown for ${want[kind].value / 10_000}`);
      const share = (want[kind].value / want.cost) * 100;
      const line = await card.locator('.change').textContent();
      assert.match(line, new RegExp(`^${share.toFixed(1).replace('.', '\\.')} % of the cost · the sessions$`), `${label}: share in "${line}"`);
    }
    // Second check: the API.
    const k = await kpis(r);
    for (const [kind, field] of Object.entries(FIELDS)) assert.equal(cents4(k[field]), want[kind].value, `API ${field}`);
    await expectAccessible(page, 'with the waste cards');
  });

  test('a card opens the sessions behind it', async () => {
    const { want } = await sendOnce();
    for (const kind of Object.keys(FIELDS)) {
      const page = await overview();
      const card = page.locator('section[aria-labelledby="waste"] .card', { has: page.locator('.label', { hasText: new RegExp(`^${LABELS[kind]}$`) }) });
      await card.locator('a', { hasText: 'the sessions' }).click();
      await page.locator('table.sessions tbody tr').first().waitFor();
      assert.equal(await page.locator('select[name="waste"]').inputValue(), kind, 'the filter shows the kind');
      // The demo's own sessions may be behind it too: each of ours that is, and none of ours that is not.
      await until(async () => (await page.locator('button', { hasText: /^Load more/ }).count()) === 0
        || (await page.locator('button', { hasText: /^Load more/ }).click(), false), 'every page loaded', 20_000);
      const shown = new Set(await page.locator('table.sessions tbody td[data-label="Session"] .sid').allTextContents());
      for (const name of ['failed', 'cancelled', 'done']) {
        const id = `waste-${name}-${uid}`;
        assert.equal(shown.has(id), want[kind].sessions.includes(id), `${kind}: ${id}`);
      }
      await page.context().close();
    }
  });

  test('at 1280 and 390 px, light and dark, the waste cards are readable and photographed', async () => {
    await sendOnce();
    for (const colorScheme of ['light', 'dark']) {
      for (const width of [1280, 390]) {
        const page = await overview({ colorScheme, viewport: { width, height: 900 } });
        const section = page.locator('section[aria-labelledby="waste"]');
        assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), `no sideways scroll at ${width} px`);
        await expectAccessible(page, `at ${width} px, ${colorScheme}`);
        await section.screenshot({ path: join(SHOTS, `waste-${width}-${colorScheme}.png`) });
        await page.context().close();
      }
    }
  });
});

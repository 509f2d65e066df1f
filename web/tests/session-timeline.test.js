// The session page of a long coding-agent session: 450 events (model calls
// with tokens by kind, cost and duration, some failed; tool calls accepted,
// rejected, failed; messages; two runs) sent through ingestEvents. The
// timeline comes 200 events at a time, "Load more events" brings the rest
// in time order, and each model and tool call row shows what this test
// works out from the events it sent (never from the API's answer); the
// runs show their calls and cache tokens; a new event joins the end live.
// Every view passes axe-core and fits 1280 and 390 px, light and dark;
// screenshots go to SESSION_SHOTS (default /tmp/shots-session).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withDashboard } from './suite.js';
import { expectAccessible, newPage, signedIn, until } from './browser.js';
import { layoutProblems } from './layout.js';

const SHOTS = process.env.SESSION_SHOTS ?? '/tmp/shots-session';
mkdirSync(SHOTS, { recursive: true });

const ORG = 'demo-1';
const uid = randomUUID().slice(0, 8);
const SESSION = `timeline-${uid}`;
const USER = `timeline-user-${uid}`;
const MODEL = `claude-timeline-test-${uid}`;
const TOOLS = ['Bash', 'Read', 'Edit', 'mcp__github__create_pull_request', 'Grep'];
const TOTAL = 450;

let server;
let browser;
let admin;

withDashboard((s, b) => {
  [server, browser] = [s, b];
  admin = server.token('SUPER_ADMIN', { sub: 'timeline-admin' });
});

const fmt = (n) => n.toLocaleString('en-US');

/** The session's 450 events, 5 s apart, ending some minutes ago. */
function sessionEvents() {
  const start = Date.now() - 45 * 60_000;
  const events = [];
  const e = (type, extra = {}) => events.push({
    eventId: randomUUID(), org: ORG, sessionId: SESSION, userId: USER, type, occurredAt: new Date(start + events.length * 5_000).toISOString(), ...extra,
  });
  e('SESSION_STARTED', { attributes: { repo: 'acme/timeline', branch: 'long-session', agent: 'claude-code' } });
  e('MESSAGE_SENT', { message: { role: 'USER', text: 'Make the flaky login test pass and open a pull request' } });
  let runId = `${SESSION}-run-1`;
  e('RUN_STARTED', { runId, run: { model: MODEL } });
  for (let i = 0; events.length < TOTAL - 3; i += 1) {
    if (i === 150) {
      e('RUN_FINISHED', { runId, run: { status: 'FAILED', errorCategory: 'TOOL', errorMessage: 'the test suite kept failing' } });
      runId = `${SESSION}-run-2`;
      e('RUN_STARTED', { runId, run: { model: MODEL } });
    } else if (i % 3 === 0) {
      const modelCall = { model: MODEL, inputTokens: 100 + ((i * 37) % 5_000), outputTokens: 50 + ((i * 53) % 3_000) };
      if (i % 9 !== 0) Object.assign(modelCall, { cacheReadTokens: 10_000 + i * 1_013, cacheCreationTokens: i % 4 === 0 ? 0 : 2_000 + i });
      if (i % 25 === 3) modelCall.costUsd = '1.25';
      else if (i % 5 !== 0) modelCall.costUsd = (0.0123 + i / 10_000).toFixed(4);
      if (i % 7 !== 0) modelCall.durationMs = 800 + ((i * 97) % 9_000);
      if (i % 17 === 0) Object.assign(modelCall, { error: 'overloaded_error: the model is overloaded, retry later', errorCategory: 'MODEL' });
      e('MODEL_CALL', { runId, modelCall });
    } else if (i % 10 === 5) {
      e('MESSAGE_SENT', { message: { role: 'AGENT', text: `Step ${i}: the login test still fails on a timeout; trying a longer wait.` } });
    } else {
      const j = Math.floor(i / 3);
      const tool = { name: TOOLS[j % TOOLS.length] };
      if (j % 6 === 0) tool.decision = 'REJECTED';
      else if (j % 6 === 1) Object.assign(tool, { decision: 'ACCEPTED', success: false, error: 'exit status 1: npm test failed in test/login.spec.js' });
      else if (j % 6 === 2) tool.success = true;
      else Object.assign(tool, { decision: 'ACCEPTED', success: true });
      if (tool.success != null) tool.durationMs = 40 + ((i * 131) % 20_000);
      e('TOOL_CALL', { runId, tool });
    }
  }
  e('RUN_FINISHED', { runId, run: { status: 'SUCCEEDED' } });
  e('MESSAGE_SENT', { message: { role: 'AGENT', text: 'The test passes; pull request opened.' } });
  e('SESSION_ENDED');
  return events;
}

// How the page formats, per format.js's rules, for the figures this test sends.
const money = (decimal) => (Number(decimal) >= 1 ? `$${Number(decimal).toFixed(2)}` : `$${Number(decimal).toFixed(4)}`);
const duration = (ms) => (ms < 1_000 ? `${ms} ms` : `${(Math.round(ms / 100) / 10).toFixed(1)} s`);
const KINDS = {
  SESSION_STARTED: 'Session started', MESSAGE_SENT: 'Message', RUN_STARTED: 'Run started', RUN_FINISHED: 'Run finished',
  SESSION_ENDED: 'Session ended', MODEL_CALL: 'Model call', TOOL_CALL: 'Tool call',
};

/** What the row of event `e` shows: its time, event, figures (a call's), outcome (a model call's failure), duration and cost. */
function rowOf(e) {
  const row = { at: Date.parse(e.occurredAt), event: KINDS[e.type], figures: [], outcome: '', took: '', cost: '' };
  if (e.type === 'MODEL_CALL') {
    const c = e.modelCall;
    row.event = `Model call ${c.model}`;
    row.figures = [['inputTokens', 'in'], ['outputTokens', 'out'], ['cacheReadTokens', 'cache read'], ['cacheCreationTokens', 'cache written']]
      .filter(([key]) => c[key] != null).map(([key, kind]) => `${fmt(c[key])} ${kind}`);
    row.outcome = c.error ? `failed, ${c.errorCategory}: ${c.error}` : '';
    row.took = c.durationMs == null ? '' : duration(c.durationMs);
    row.cost = c.costUsd == null ? '—' : money(c.costUsd);
  } else if (e.type === 'TOOL_CALL') {
    const t = e.tool;
    row.event = `Tool call ${t.name}`;
    const result = t.success === true ? 'succeeded' : t.success === false ? `failed, ${t.error}` : 'not run';
    row.figures = [t.decision?.toLowerCase(), result].filter(Boolean);
    row.took = t.durationMs == null ? '' : duration(t.durationMs);
  }
  return row;
}

/** The rows of the timeline as the page shows them, in the shape of rowOf. */
const shownRows = (page) => page.locator('table.timeline tbody tr').evaluateAll((rows) => rows.map((r) => {
  const text = (el) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
  return {
    at: Date.parse(r.querySelector('time').getAttribute('datetime')),
    event: text(r.querySelector('.event')),
    figures: [...r.querySelectorAll('.details .figure')].map(text),
    outcome: text(r.querySelector('.details .outcome')),
    took: text(r.querySelector('.took')),
    cost: text(r.querySelector('.cost')),
  };
}));

let sent = null;

/** Sends the session once and waits until it is projected; returns its events. */
async function sendOnce() {
  if (sent) return sent;
  const events = sessionEvents();
  assert.equal(events.length, TOTAL);
  const { ingestEvents } = await server.gql(server.ingestToken(),
    'mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted rejected { index code message } } }', { e: events });
  assert.deepEqual(ingestEvents, { accepted: TOTAL, rejected: [] });
  await server.settled();
  const modelCalls = events.filter((e) => e.type === 'MODEL_CALL').length;
  await until(async () => {
    const { org } = await server.gql(admin, 'query($o: String!, $id: String!) { org(slug: $o) { session(id: $id) { modelCalls } } }', { o: ORG, id: SESSION });
    return org.session?.modelCalls === modelCalls;
  }, 'the session to be projected', 30_000);
  sent = events;
  return sent;
}

const sessionPath = `/org/${ORG}/sessions/${SESSION}`;

/** The session's page with its first page of events shown. */
async function sessionPage(options = {}) {
  const page = await signedIn(browser, server, admin, sessionPath, options);
  await page.locator('table.timeline tbody tr').first().waitFor();
  return page;
}

const rowCount = (page) => page.locator('table.timeline tbody tr').count();
const countLine = (page) => page.locator('.timeline-more [role="status"]').textContent();
const loadMore = (page) => page.getByRole('button', { name: /^Load more events/ });

describe('a long session’s timeline', () => {
  test('comes 200 events at a time, in time order, until all 450 are shown, each call with the figures it sent', async () => {
    const events = await sendOnce();
    const asked = [];
    const page = await newPage(browser);
    page.on('request', (r) => r.url().endsWith('/graphql') && asked.push(r.postData() ?? ''));
    await page.goto(`${server.url}/#${sessionPath}?token=${encodeURIComponent(admin)}`);
    await page.locator('table.timeline tbody tr').first().waitFor();
    assert.equal(await rowCount(page), 200);
    assert.equal(await countLine(page), '200 events shown; more follow.');
    await loadMore(page).click();
    await until(async () => (await rowCount(page)) === 400, '400 rows');
    assert.equal(await countLine(page), '400 events shown; more follow.');
    // By keyboard: the button leaves with the last page, its focus goes to the count.
    await loadMore(page).focus();
    await page.keyboard.press('Enter');
    await until(async () => (await rowCount(page)) === TOTAL, `${TOTAL} rows`);
    assert.equal(await countLine(page), `All ${TOTAL} events shown.`);
    assert.equal(await loadMore(page).count(), 0, 'no button once all are shown');
    await until(() => page.evaluate(() => document.activeElement.matches('.timeline-more [role="status"]')), 'the focus on the count');
    const queries = asked.map((body) => JSON.parse(body).query);
    assert.ok(queries.some((q) => /events\(first: 200/.test(q)), 'the page asks for pages of 200 events');
    assert.ok(queries.every((q) => !/\btimeline\b/.test(q)), 'the page never asks for the whole timeline');

    const shown = await shownRows(page);
    const want = events.map(rowOf);
    // Time order, each event once: row i is event i (sent 5 s apart).
    assert.deepEqual(shown.map((r) => r.at), want.map((r) => r.at), 'the rows in time order');
    assert.deepEqual(shown.map((r) => r.event), want.map((r) => r.event), 'each row’s event');
    for (const type of ['MODEL_CALL', 'TOOL_CALL']) {
      const indexes = events.flatMap((e, i) => (e.type === type ? [i] : []));
      assert.ok(indexes.length > 100, `${indexes.length} rows of ${type}`);
      for (const i of indexes) assert.deepEqual(shown[i], want[i], `row ${i} (${type})`);
    }
    // The cases the rows must tell apart are among them.
    const calls = events.filter((e) => e.type === 'MODEL_CALL').map((e) => e.modelCall);
    assert.ok(calls.some((c) => c.error) && calls.some((c) => c.costUsd == null) && calls.some((c) => c.cacheReadTokens == null), 'failed, unpriced and cache-less calls');
    const tools = events.filter((e) => e.type === 'TOOL_CALL').map((e) => e.tool);
    assert.ok(['REJECTED', 'ACCEPTED', undefined].every((d) => tools.some((t) => t.decision === d)) && tools.some((t) => t.success === false));
    // A failed call is marked as a failed row; a message keeps its summary.
    assert.equal(await page.locator('table.timeline tbody tr.failed').count(),
      calls.filter((c) => c.error).length + tools.filter((t) => t.success === false).length);
    const message = events.findIndex((e) => e.type === 'MESSAGE_SENT' && e.message.role === 'AGENT');
    assert.equal((await page.locator('table.timeline tbody tr').nth(message).locator('.details').textContent()).trim(), `Agent: ${events[message].message.text}`);
    // The first row's time, to the second, in the org's time zone.
    const { org: { timezone } } = await server.gql(admin, 'query($o: String!) { org(slug: $o) { timezone } }', { o: ORG });
    const first = new Date(events[0].occurredAt).toLocaleString('en-US', { timeZone: timezone, month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' });
    assert.equal((await page.locator('table.timeline tbody tr time').first().textContent()).replace(/\u00a0/g, ' '), first);
    await expectAccessible(page, 'with all 450 events');
  });

  test('the runs show their model and tool calls and cache tokens', async () => {
    const events = await sendOnce();
    const page = await sessionPage();
    for (const runId of [`${SESSION}-run-1`, `${SESSION}-run-2`]) {
      const mine = events.filter((e) => e.runId === runId);
      const calls = mine.filter((e) => e.type === 'MODEL_CALL').map((e) => e.modelCall);
      const sum = (key) => fmt(calls.reduce((total, c) => total + (c[key] ?? 0), 0));
      const tools = mine.filter((e) => e.type === 'TOOL_CALL').length;
      const row = page.locator('section[aria-label="Runs"] tbody tr', { has: page.locator(`summary[title="${runId}"]`) });
      await row.locator('summary').click();
      const text = (await row.locator('details p').textContent()).replace(/\s+/g, ' ');
      assert.ok(text.startsWith(`${sum('inputTokens')} input / ${sum('outputTokens')} output tokens; ${sum('cacheReadTokens')} cache read / `
        + `${sum('cacheCreationTokens')} cache written; ${fmt(calls.length)} model calls, ${fmt(tools)} tool calls; finished `), `${runId}: ${text}`);
    }
  });

  test('at 1280 and 390 px, light and dark, the page fits, passes axe-core, and is photographed', async () => {
    await sendOnce();
    for (const colorScheme of ['light', 'dark']) {
      for (const width of [1280, 390]) {
        const where = `at ${width} px, ${colorScheme}`;
        const page = await sessionPage({ colorScheme, viewport: { width, height: 900 } });
        assert.deepEqual(await layoutProblems(page, 'table.timeline, table.runs'), [], `layout ${where}`);
        await expectAccessible(page, where);
        const shot = (name) => page.screenshot({ path: join(SHOTS, `${name}-${width}-${colorScheme}.png`) });
        await shot('top');
        await page.locator('#timeline').evaluate((el) => el.scrollIntoView());
        await shot('timeline');
        await page.locator('.timeline-more').evaluate((el) => el.scrollIntoView({ block: 'end' }));
        await shot('more');
        await page.context().close();
      }
    }
  });

  test('a new event joins the end of the timeline while it is open, after every page is loaded', async () => {
    await sendOnce();
    const page = await sessionPage();
    await until(() => page.subscriptions > 0, 'the live subscription');
    await loadMore(page).click();
    await until(async () => (await rowCount(page)) === 400, '400 rows');
    await loadMore(page).click();
    await until(async () => (await rowCount(page)) === TOTAL, `${TOTAL} rows`);
    const late = { eventId: randomUUID(), org: ORG, sessionId: SESSION, userId: USER, type: 'TOOL_CALL', occurredAt: new Date().toISOString(),
      runId: `${SESSION}-run-2`, tool: { name: 'Bash', decision: 'ACCEPTED', success: true, durationMs: 1_500 } };
    const { ingestEvents } = await server.gql(server.ingestToken(), 'mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted } }', { e: [late] });
    assert.equal(ingestEvents.accepted, 1);
    await until(async () => (await rowCount(page)) === TOTAL + 1, 'the new event to show', 15_000);
    assert.deepEqual((await shownRows(page)).at(-1), rowOf(late));
    assert.equal(await countLine(page), `All ${fmt(TOTAL + 1)} events shown.`);
  });
});

// What a manager of coding agents reads on the org overview: model calls,
// tokens and the prompt cache, runs by agent, and the most called tools.
// Two agents' sessions are sent through ingestEvents into a demo org (which
// has runs but no model or tool calls); every figure the page shows is
// checked against what this test works out from the events it sent (the
// demo's own run tokens read once before, as the starting point of the
// token sums), and only then against the API. An org without agent
// telemetry says how it arrives instead of showing empty tables. Every
// view passes axe-core and fits 1280 and 390 px, light and dark;
// screenshots go to AGENTS_SHOTS (default /tmp/shots-agents).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withDashboard } from './suite.js';
import { card, expectAccessible, ms, number, shift, signedIn, today, until } from './browser.js';
import { layoutProblems } from './layout.js';
import { numberRows } from './charts.js';

const SHOTS = process.env.AGENTS_SHOTS ?? '/tmp/shots-agents';
mkdirSync(SHOTS, { recursive: true });

const ORG = 'demo-1';
// An org of the test's own whose one session has a platform's run and no agent telemetry (the demo's third org has some).
const EMPTY_ORG = `agents-empty-${randomUUID().slice(0, 8)}`;
let server;
let browser;
let admin;

withDashboard((s, b) => {
  [server, browser] = [s, b];
  admin = server.token('SUPER_ADMIN', { sub: 'agents-admin' });
  return emptyOrg();
});

async function emptyOrg() {
  await server.gql(admin, 'mutation($s: String!) { createOrg(slug: $s, name: "No agents yet") { slug } }', { s: EMPTY_ORG });
  const at = new Date(Date.now() - 3_600_000).toISOString();
  const base = { org: EMPTY_ORG, sessionId: 'platform-session', userId: 'platform-user', occurredAt: at };
  const events = [{ ...base, eventId: randomUUID(), type: 'SESSION_STARTED' },
    { ...base, eventId: randomUUID(), type: 'RUN_FINISHED', runId: 'platform-run', run: { status: 'SUCCEEDED', costUsd: '0.25', inputTokens: 900, outputTokens: 100 } }];
  const { ingestEvents } = await server.gql(server.ingestToken(), 'mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted } }', { e: events });
  assert.equal(ingestEvents.accepted, events.length);
  await server.settled();
}

const fmt = (n) => n.toLocaleString('en-US');
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const pct = (r) => (r == null ? '—' : `${(r * 100).toFixed(1)} %`);
const sum = (list, f) => list.reduce((total, x) => total + f(x), 0);
const uid = randomUUID().slice(0, 8);
// Models nobody priced: calls without a reported cost stay unpriced.
const CLAUDE = `claude-agents-test-${uid}`;
const CODEX = `codex-agents-test-${uid}`;

/** Two sessions, one per agent, each a run with model calls and tool calls, minutes ago. */
function sessions() {
  const at = (minutes) => new Date(Date.now() - minutes * 60_000).toISOString();
  const events = [];
  const session = (agent, status, calls, tools, code = []) => {
    const base = { org: ORG, sessionId: `agents-${agent}-${uid}`, userId: `agents-user-${agent}` };
    const runId = `agents-run-${agent}-${uid}`;
    const e = (type, minutes, extra = {}) => events.push({ ...base, eventId: randomUUID(), type, occurredAt: at(minutes), ...extra });
    e('SESSION_STARTED', 30, { attributes: { agent, repo: 'acme/web' } });
    e('RUN_STARTED', 29, { runId });
    calls.forEach((modelCall, i) => e('MODEL_CALL', 28 - i, { runId, modelCall }));
    tools.forEach((tool, i) => e('TOOL_CALL', 20 - i, { runId, tool }));
    code.forEach((c, i) => e('CODE_CHANGE', 12 - i, { code: c }));
    e('RUN_FINISHED', 10, { runId, run: status === 'FAILED' ? { status, errorCategory: 'MODEL', errorMessage: 'stream ended' } : { status } });
  };
  session('claude-code', 'SUCCEEDED', [
    { model: CLAUDE, inputTokens: 1_200, outputTokens: 800, cacheReadTokens: 250_000, cacheCreationTokens: 40_000, costUsd: '0.2121', durationMs: 2_100 },
    { model: CLAUDE, inputTokens: 300, outputTokens: 1_500, cacheReadTokens: 310_000, cacheCreationTokens: 2_000, costUsd: '0.1302', durationMs: 3_300 },
    { model: CLAUDE, inputTokens: 90, error: 'overloaded_error', errorCategory: 'MODEL', costUsd: '0' },
  ], [
    { name: 'Bash', success: true, decision: 'ACCEPTED', durationMs: 1_200 },
    { name: 'Bash', success: false, decision: 'ACCEPTED', durationMs: 3_400, error: 'exit status 1' },
    { name: 'Bash', decision: 'REJECTED' },
    { name: 'Edit', success: true, decision: 'ACCEPTED', durationMs: 300 },
    { name: 'Edit', decision: 'REJECTED' },
    { name: 'Read', success: true, durationMs: 40 },
  ], [
    { linesAdded: 120, linesRemoved: 30, commits: 2 },
    { linesAdded: 5, pullRequests: 1 },
  ]);
  session('codex', 'FAILED', [
    { model: CODEX, inputTokens: 2_000, outputTokens: 500, cacheReadTokens: 80_000 },
    { model: CODEX, inputTokens: 700, outputTokens: 300, cacheReadTokens: 120_000, cacheCreationTokens: 0, durationMs: 5_000 },
  ], [
    { name: 'shell', success: true, durationMs: 900 },
    { name: 'shell', success: true, durationMs: 14_000 },
    { name: 'shell', decision: 'REJECTED' },
    { name: 'apply_patch', success: false, durationMs: 150, error: 'patch did not apply' },
  ]);
  return events;
}

/** Dollars as an exact number of ten-thousandths (every cost here has at most four decimals). */
const cents4 = (text) => Math.round(Number(text ?? 0) * 10_000);

/** What the events add up to, worked out here: the calls, tokens, cache, runs by agent, tools. */
function expected(events) {
  const calls = events.filter((e) => e.type === 'MODEL_CALL').map((e) => e.modelCall);
  const n = (c, key) => c[key] ?? 0;
  const agentOf = (e) => events.find((s) => s.sessionId === e.sessionId && s.attributes)?.attributes.agent;
  const agents = {};
  for (const e of events.filter((x) => x.type === 'RUN_FINISHED')) {
    const mine = events.filter((x) => x.type === 'MODEL_CALL' && x.runId === e.runId).map((x) => x.modelCall);
    agents[agentOf(e)] = {
      sessions: 1, runs: 1, successRate: e.run.status === 'SUCCEEDED' ? 1 : 0,
      inputTokens: sum(mine, (c) => n(c, 'inputTokens')), outputTokens: sum(mine, (c) => n(c, 'outputTokens')),
      cost: sum(mine, (c) => cents4(c.costUsd)),
    };
  }
  const tools = {};
  for (const { tool: t, sessionId } of events.filter((e) => e.type === 'TOOL_CALL')) {
    const w = (tools[t.name] ??= { calls: 0, failed: 0, accepted: 0, rejected: 0, durations: [], sessions: new Set() });
    w.sessions.add(sessionId);
    w.calls += 1;
    w.failed += t.success === false ? 1 : 0;
    w.accepted += t.decision === 'ACCEPTED' ? 1 : 0;
    w.rejected += t.decision === 'REJECTED' ? 1 : 0;
    if (t.durationMs != null) w.durations.push(t.durationMs);
  }
  for (const w of Object.values(tools)) {
    // Refused calls of all calls: a call that ran without a decision was allowed.
    w.share = w.rejected / w.calls;
    // Nearest rank: the ⌈0.95·n⌉-th smallest.
    const sorted = [...w.durations].sort((a, b) => a - b);
    w.p95 = sorted.length ? sorted[Math.ceil(0.95 * sorted.length) - 1] : null;
  }
  return {
    modelCalls: calls.length,
    failedModelCalls: calls.filter((c) => c.error || c.errorCategory).length,
    unpricedModelCalls: calls.filter((c) => c.costUsd == null).length,
    inputTokens: sum(calls, (c) => n(c, 'inputTokens')),
    outputTokens: sum(calls, (c) => n(c, 'outputTokens')),
    cacheReadTokens: sum(calls, (c) => n(c, 'cacheReadTokens')),
    cacheCreationTokens: sum(calls, (c) => n(c, 'cacheCreationTokens')),
    toolCalls: sum(Object.values(tools), (t) => t.calls),
    code: Object.fromEntries(['linesAdded', 'linesRemoved', 'commits', 'pullRequests']
      .map((k) => [k, sum(events.filter((e) => e.type === 'CODE_CHANGE'), (e) => e.code[k] ?? 0)])),
    agents,
    tools,
  };
}

const KPIS = 'modelCalls failedModelCalls unpricedModelCalls inputTokens outputTokens cacheReadTokens cacheCreationTokens cacheHitRate toolCalls';

async function range(org) {
  const { org: { timezone } } = await server.gql(admin, 'query($o: String!) { org(slug: $o) { timezone } }', { o: org });
  const to = today(timezone);
  return { from: shift(to, -6), to };
}

async function kpis(org, r) {
  return (await server.gql(admin, `query($o: String!, $r: DateRange!) { org(slug: $o) { overview(range: $r) { kpis { ${KPIS} } } } }`, { o: org, r })).org.overview.kpis;
}

/** The KPI card labelled `label`: its value and its whole description (definition and terms). */
async function cardOf(page, label) {
  const el = page.locator('section[aria-labelledby="agents"] .card', { has: page.locator('.label', { hasText: new RegExp(`^${label}$`) }) });
  return { value: (await el.locator('.value').textContent()).trim(), about: await el.getAttribute('title') };
}

/** The rows of a table as shown: per row the header cell's text and each labelled cell's own text (not its hidden terms) and title. */
const rowsOf = (table) => table.locator('tbody tr, tfoot tr').evaluateAll((rows) => rows.map((r) => {
  const own = (el) => [...el.childNodes].filter((c) => c.nodeType === 3 || !c.classList?.contains('visually-hidden')).map((c) => c.textContent).join('').trim();
  return {
    name: r.querySelector('th').textContent.trim(),
    cells: Object.fromEntries([...r.querySelectorAll('td[data-label]')].map((td) => [td.dataset.label, { text: own(td), title: td.getAttribute('title') || null }])),
  };
}));

let sent = null;

/** Sends the two sessions once; returns the range, the demo's figures before them, and what the test expects. */
async function sendOnce() {
  if (sent) return sent;
  const r = await range(ORG);
  const before = await kpis(ORG, r);
  const { org: { overview: { kpis: beforeCode } } } = await server.gql(admin, `query($o: String!, $r: DateRange!) { org(slug: $o) { overview(range: $r) {
    kpis { costUsd linesAdded linesRemoved commits pullRequests } } } }`, { o: ORG, r });
  // The demo org has runs with tokens, but no model or tool calls.
  assert.deepEqual([before.modelCalls, before.toolCalls, before.cacheReadTokens, before.cacheCreationTokens], [0, 0, 0, 0], 'the demo has no agent telemetry');
  const events = sessions();
  const { ingestEvents } = await server.gql(server.ingestToken(), 'mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted rejected { index code message } } }', { e: events });
  assert.deepEqual(ingestEvents, { accepted: events.length, rejected: [] });
  await server.settled();
  const want = expected(events);
  await until(async () => (await kpis(ORG, r)).toolCalls === want.toolCalls, 'the calls to be projected', 30_000);
  sent = { r, before, beforeCode, want };
  return sent;
}

/** The overview of ORG over the last 7 days, its agents and tools loaded. */
async function overview(options = {}) {
  const page = await signedIn(browser, server, admin, `/org/${ORG}/overview?days=7`, options);
  await page.locator('table.tools tbody tr').first().waitFor();
  await page.locator('#by-agent ~ table tbody tr').first().waitFor();
  return page;
}

describe('coding agents on the overview', () => {
  test('the cards show the model calls, tokens and cache the events add up to', async () => {
    const { r, before, want } = await sendOnce();
    const page = await overview();
    const input = before.inputTokens + want.inputTokens;
    const output = before.outputTokens + want.outputTokens;
    const rate = want.cacheReadTokens / (input + want.cacheReadTokens + want.cacheCreationTokens);

    const calls = await cardOf(page, 'Model calls');
    assert.equal(calls.value, `${fmt(want.modelCalls)} (${fmt(want.failedModelCalls)} failed)`);
    assert.ok(calls.about.endsWith(`${want.failedModelCalls} of ${want.modelCalls} model calls failed for good (${pct(want.failedModelCalls / want.modelCalls)}). `
      + `${want.unpricedModelCalls} unpriced (counted at $0).`), calls.about);
    for (const [label, value, words] of [['Input tokens', input, 'input tokens'], ['Output tokens', output, 'output tokens'],
      ['Cache read', want.cacheReadTokens, 'cache-read tokens'], ['Cache written', want.cacheCreationTokens, 'tokens written to a cache']]) {
      const shown = await cardOf(page, label);
      assert.equal(shown.value, compact.format(value), `${label}: the value`);
      assert.ok(shown.about.endsWith(`${fmt(value)} ${words}.`), `${label}: the exact figure in "${shown.about}"`);
    }
    const hit = await cardOf(page, 'Cache hit rate');
    assert.equal(hit.value, pct(rate));
    assert.ok(hit.about.startsWith('Cache-read tokens ÷ all input tokens'), hit.about);
    assert.ok(hit.about.endsWith(`${fmt(want.cacheReadTokens)} cache-read of ${fmt(input + want.cacheReadTokens + want.cacheCreationTokens)} input tokens.`), hit.about);

    // Second check: the API says the same.
    const k = await kpis(ORG, r);
    assert.deepEqual({ ...k, cacheHitRate: undefined },
      { ...Object.fromEntries(KPIS.split(' ').map((f) => [f, want[f]])), inputTokens: input, outputTokens: output, cacheHitRate: undefined });
    assert.ok(Math.abs(k.cacheHitRate - rate) < 1e-12, `API cacheHitRate ${k.cacheHitRate}, computed ${rate}`);
    await expectAccessible(page, 'on the overview with agents');
  });

  test('the code cards show the lines, commits and pull requests the events add up to, and what each cost', async () => {
    const { beforeCode, want } = await sendOnce();
    assert.deepEqual([beforeCode.linesAdded, beforeCode.linesRemoved, beforeCode.commits, beforeCode.pullRequests], [0, 0, 0, 0], 'the demo has no code');
    const page = await overview();
    const lines = await cardOf(page, 'Lines changed');
    assert.equal(lines.value, `+${fmt(want.code.linesAdded)} / −${fmt(want.code.linesRemoved)}`);
    assert.equal((await cardOf(page, 'Commits')).value, fmt(want.code.commits));
    assert.equal((await cardOf(page, 'Pull requests')).value, fmt(want.code.pullRequests));
    // Every run's cost counts: the demo's before the test, and the test's own, worked out from its events.
    const cost = cents4(beforeCode.costUsd) + sum(Object.values(want.agents), (a) => a.cost);
    for (const [label, n] of [['Cost per pull request', want.code.pullRequests], ['Cost per commit', want.code.commits]]) {
      const card = await cardOf(page, label);
      const expected = cost / 10_000 / n;
      assert.ok(Math.abs(number(card.value) - expected) <= Math.max(0.005, expected * 0.001), `${label}: ${card.value} for ${expected}`);
      assert.ok(card.about.includes(`÷ ${fmt(n)} `), `${label}: its terms in "${card.about}"`);
    }
  });

  test('the agents table shows each agent’s sessions, runs, success, tokens and cost, and opens its sessions', async () => {
    const { r, want } = await sendOnce();
    const page = await overview();
    const rows = await rowsOf(page.locator('#by-agent ~ table'));
    for (const [agent, w] of Object.entries(want.agents)) {
      const row = rows.find((x) => x.name === agent);
      assert.ok(row, `a row for ${agent}: ${rows.map((x) => x.name)}`);
      const c = row.cells;
      assert.equal(c.Sessions.text, fmt(w.sessions), `${agent}: sessions`);
      assert.equal(c.Runs.text, fmt(w.runs), `${agent}: runs`);
      assert.equal(c['Success rate'].text, pct(w.successRate), `${agent}: success rate`);
      assert.equal(c.Tokens.text, compact.format(w.inputTokens + w.outputTokens), `${agent}: tokens`);
      assert.equal(c.Tokens.title, `${fmt(w.inputTokens)} input + ${fmt(w.outputTokens)} output tokens`, `${agent}: tokens in full`);
      assert.ok(Math.abs(number(c.Cost.text) * 10_000 - w.cost) < 0.5, `${agent}: ${c.Cost.text} shown for ${w.cost / 10_000}`);
    }
    // The demo's runs have no agent.
    assert.ok(rows.some((x) => x.name === '(none)'), 'the runs without an agent have a row');
    assert.equal(rows.at(-1).name, 'All');
    // Second check: the API's breakdown by agent.
    const { org } = await server.gql(admin, `query($r: DateRange!) { org(slug: "${ORG}") { overview(range: $r) { breakdown(by: AGENT) {
      rows { value sessions runs successRate inputTokens outputTokens costUsd } } } } }`, { r });
    for (const [agent, w] of Object.entries(want.agents)) {
      const a = org.overview.breakdown.rows.find((x) => x.value === agent);
      assert.deepEqual([a.sessions, a.runs, a.successRate, a.inputTokens, a.outputTokens, cents4(a.costUsd)],
        [w.sessions, w.runs, w.successRate, w.inputTokens, w.outputTokens, w.cost], `API: ${agent}`);
    }
    // Figures are right-aligned at desktop width.
    assert.equal(await page.locator('#by-agent ~ table tbody td[data-label="Tokens"]').first().evaluate((td) => getComputedStyle(td).textAlign), 'right');

    // An agent opens its sessions over the same range.
    const link = page.locator('#by-agent ~ table tbody th a', { hasText: /^codex$/ });
    assert.equal(await link.getAttribute('href'), `#/org/${ORG}/sessions?days=7&attr=agent%3Dcodex`);
    await link.click();
    await page.locator('table.sessions tbody tr').first().waitFor();
    assert.deepEqual(await page.locator('table.sessions tbody td[data-label="Session"] .sid').allTextContents(), [`agents-codex-${uid}`]);
  });

  test('the tools table shows each tool’s calls, failures, decisions, rejection share and p95 duration', async () => {
    const { r, want } = await sendOnce();
    const page = await overview();
    const rows = await rowsOf(page.locator('table.tools'));
    assert.deepEqual(rows.map((x) => x.name).sort(), Object.keys(want.tools).sort());
    const callsShown = rows.map((x) => number(x.cells.Calls.text));
    assert.deepEqual(callsShown, [...callsShown].sort((a, b) => b - a), 'most called first');
    for (const { name, cells: c } of rows) {
      const w = want.tools[name];
      assert.deepEqual([c.Calls.text, c.Failed.text, c.Accepted.text, c.Rejected.text], [w.calls, w.failed, w.accepted, w.rejected].map(fmt), `${name}: counts`);
      assert.equal(c['Rejection share'].text, pct(w.share), `${name}: rejection share`);
      assert.equal(c['Rejection share'].title, `${w.rejected} of ${w.calls} calls rejected`, `${name}: its terms`);
      if (w.p95 == null) assert.equal(c['p95 duration'].text, '—');
      else {
        // The sketch is within 1 %; the page rounds to a tenth of its unit.
        const shown = ms(c['p95 duration'].text);
        const step = { ms: 1, s: 100, min: 6_000, h: 360_000 }[c['p95 duration'].text.split(' ')[1]];
        assert.ok(Math.abs(shown - w.p95) <= w.p95 * 0.01 + step / 2, `${name}: p95 ${c['p95 duration'].text} for ${w.p95} ms`);
      }
    }
    assert.equal(await page.locator('table.tools tbody td[data-label="Rejection share"]').first().evaluate((td) => getComputedStyle(td).textAlign), 'right');
    // Second check: the API's tools.
    const { org } = await server.gql(admin, `query($r: DateRange!) { org(slug: "${ORG}") { overview(range: $r) { tools(top: 10) { name calls failed accepted rejected durationP95Ms } } } }`, { r });
    for (const t of org.overview.tools) {
      const w = want.tools[t.name];
      assert.deepEqual([t.calls, t.failed, t.accepted, t.rejected], [w.calls, w.failed, w.accepted, w.rejected], `API: ${t.name}`);
      if (w.p95 != null) assert.ok(Math.abs(t.durationP95Ms - w.p95) <= w.p95 * 0.01, `API: ${t.name} p95 ${t.durationP95Ms}`);
    }

    // A tool opens the sessions that called it, over the same range: worked out from the events sent.
    const name = rows[0].name;
    const link = page.locator('table.tools tbody th a', { hasText: new RegExp(`^${name}$`) });
    assert.equal(await link.getAttribute('href'), `#/org/${ORG}/sessions?days=7&tool=${encodeURIComponent(name)}`);
    await link.click();
    await page.locator('table.sessions tbody tr').first().waitFor();
    assert.deepEqual((await page.locator('table.sessions tbody td[data-label="Session"] .sid').allTextContents()).sort(), [...want.tools[name].sessions].sort());
    assert.equal(await page.locator('input[name="tool"]').inputValue(), name, 'the filter shows the tool');
  });

  test('the code per repository (a breakdown key) and per user equals the events sent', async () => {
    const { want } = await sendOnce();
    await server.gql(admin, 'mutation { setBreakdownKeys(org: "' + ORG + '", keys: ["repo"]) { breakdownKeys } }');
    await until(async () => {
      const { jobs } = await server.gql(admin, '{ jobs(first: 20) { org kind status } }');
      return jobs.every((j) => j.org !== ORG || !['QUEUED', 'RUNNING'].includes(j.status));
    }, 'the breakdown job to end', 60_000);
    const code = want.code;
    const page = await signedIn(browser, server, admin, `/org/${ORG}/overview?days=7`);
    const byRepo = page.locator('section[aria-labelledby="by-key-0"] table');
    await byRepo.locator('tbody tr').first().waitFor();
    // Only the test's sessions name the repository acme/web.
    const row = byRepo.locator('tbody tr', { has: page.locator('th', { hasText: /^acme\/web$/ }) });
    const cell = (await row.locator('td[data-label="Code"]').textContent()).replace(/\s+/g, ' ').trim();
    const n = (k, one, many) => `${fmt(code[k])} ${code[k] === 1 ? one : many}`;
    assert.equal(cell, `+${fmt(code.linesAdded)} −${fmt(code.linesRemoved)}; ${n('commits', 'commit', 'commits')} · ${n('pullRequests', 'PR', 'PRs')}`);
    // The lines per day: the demo has none, so the chart's numbers add up to the test's.
    const numbers = await (await numberRows(page.locator('.chart', { hasText: 'Lines changed per day' })))
      .evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => Number(c.textContent.replace(/,/g, '')))));
    assert.deepEqual([sum(numbers, (r) => r[1]), sum(numbers, (r) => r[2])], [code.linesAdded, code.linesRemoved], 'lines per day');
    // The cache hit rate per day is the API's, as a percentage.
    const rates = await (await numberRows(page.locator('.chart', { hasText: 'Cache hit rate per day (%)' })))
      .evaluateAll((rows) => rows.map((r) => [r.cells[0].textContent, r.cells[1].textContent]));
    const { from, to } = await range(ORG);
    const { org: { overview: { daily } } } = await server.gql(admin, `query($r: DateRange!) { org(slug: "${ORG}") { overview(range: $r) { daily { date kpis { cacheHitRate } } } } }`, { r: { from, to } });
    for (const [day, shown] of rates) {
      const rate = daily.find((d) => d.date === day)?.kpis.cacheHitRate;
      if (rate == null) assert.ok(!/\d/.test(shown), `${day}: no rate, shown "${shown}"`);
      else assert.equal(shown, (rate * 100).toFixed(1), `${day}: cache hit rate`);
    }

    // The user whose session changed code: their page shows it, and their model calls.
    const user = 'agents-user-claude-code';
    const mine = sessions().filter((e) => e.userId === user);
    const sumOf = (type, f) => sum(mine.filter((e) => e.type === type), f);
    const userPage = await signedIn(browser, server, admin, `/org/${ORG}/users/${user}?days=7`);
    const section = userPage.locator('section[aria-labelledby="user-agents"]');
    await section.locator('.card').first().waitFor();
    const value = async (label) => (await section.locator('.card', { has: userPage.locator('.label', { hasText: new RegExp(`^${label}$`) }) }).locator('.value').textContent()).trim();
    assert.equal(await value('Lines changed'), `+${fmt(sumOf('CODE_CHANGE', (e) => e.code.linesAdded ?? 0))} / −${fmt(sumOf('CODE_CHANGE', (e) => e.code.linesRemoved ?? 0))}`);
    assert.equal(await value('Commits'), fmt(sumOf('CODE_CHANGE', (e) => e.code.commits ?? 0)));
    assert.equal(await value('Pull requests'), fmt(sumOf('CODE_CHANGE', (e) => e.code.pullRequests ?? 0)));
    const calls = mine.filter((e) => e.type === 'MODEL_CALL');
    assert.equal(await value('Model calls'), `${fmt(calls.length)} (${fmt(calls.filter((e) => e.modelCall.error).length)} failed)`);
    await expectAccessible(userPage, 'on a user page with agents');
  });

  test('an org without agent telemetry says how it arrives, with no agent or tool table', async () => {
    const k = await kpis(EMPTY_ORG, await range(EMPTY_ORG));
    assert.equal(k.modelCalls + k.toolCalls, 0, 'the org has no agent telemetry');
    const page = await signedIn(browser, server, admin, `/org/${EMPTY_ORG}/overview?days=7`);
    const section = page.locator('section[aria-labelledby="agents"]');
    await section.locator('.empty').waitFor();
    assert.match((await section.textContent()).replace(/\s+/g, ' '), /No coding-agent telemetry from \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}\. .*Claude Code, Codex or Gemini CLI send their OpenTelemetry/);
    // The breakdowns below load once the figures are drawn: still no agent table then.
    await page.locator('#breakdowns').waitFor();
    assert.equal(await section.locator('table, .card').count(), 0);
    await expectAccessible(page, 'on an overview without agent telemetry');
  });

  test('a day whose only activity is a model call of a run begun the day before shows its cost, not "No activity"', async () => {
    const slug = `agents-open-run-${uid}`;
    await server.gql(admin, 'mutation($s: String!) { createOrg(slug: $s, name: "Open run", timezone: "UTC") { slug } }', { s: slug });
    const day = today('UTC');
    const base = { org: slug, sessionId: 'long-session', userId: 'night-owl' };
    const callAt = new Date(Math.max(Date.now() - 10_000, Date.parse(`${day}T00:00:01Z`))).toISOString();
    const events = [
      { ...base, eventId: randomUUID(), type: 'SESSION_STARTED', occurredAt: `${shift(day, -1)}T12:00:00Z` },
      { ...base, eventId: randomUUID(), type: 'RUN_STARTED', runId: 'still-going', occurredAt: `${shift(day, -1)}T12:00:01Z` },
      { ...base, eventId: randomUUID(), type: 'MODEL_CALL', runId: 'still-going', occurredAt: callAt, modelCall: { model: CLAUDE, inputTokens: 1_000, outputTokens: 200, costUsd: '0.75' } },
    ];
    const { ingestEvents } = await server.gql(server.ingestToken(), 'mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted } }', { e: events });
    assert.equal(ingestEvents.accepted, events.length);
    await server.settled();
    const page = await signedIn(browser, server, admin, `/org/${slug}/overview?from=${day}&to=${day}`);
    await page.locator('main .card').first().waitFor();
    assert.doesNotMatch(await page.locator('main').textContent(), /No activity/);
    // The events: one call today, $0.75; no session started and no run finished today.
    assert.equal(number(await card(page, 'Cost')), 0.75);
    assert.equal(number(await card(page, 'Sessions')), 0);
    assert.equal(number(await card(page, 'Active users')), 1);
    // The hours add up to the day: the call's $0.75 in the call's hour
    // (before, a run's cost counted only in the hour it finished).
    const hourly = page.locator('.chart', { hasText: 'Cost per hour (USD)' });
    const hours = await hourly.locator('[role="img"]').evaluate((el) => el.uplot.data[1]);
    const hour = new Date(callAt).getUTCHours();
    assert.deepEqual(hours.slice(0, hour + 1).map((v) => v ?? 0), [...Array(hour).fill(0), 0.75]);
    // A week earlier the org had no event at all: that is "No activity".
    const before = shift(day, -7);
    await page.goto(`${server.url}/#/org/${slug}/overview?from=${before}&to=${before}`);
    await page.getByText(`No activity from ${before} to ${before}`).waitFor();
  });

  test('at 1280 and 390 px, light and dark, the agents and tools fit, pass axe-core, and are photographed; they fit in between too', async () => {
    await sendOnce();
    for (const colorScheme of ['light', 'dark']) {
      for (const width of [1280, 390]) {
        const where = `at ${width} px, ${colorScheme}`;
        const page = await overview({ colorScheme, viewport: { width, height: 900 } });
        await page.waitForFunction(() => document.documentElement.scrollWidth <= innerWidth, null, { timeout: 3_000 }).catch(() => {});
        assert.deepEqual(await layoutProblems(page, 'table.breakdown.usage, table.tools'), [], `layout ${where}`);
        await expectAccessible(page, where);
        await page.locator('section[aria-labelledby="agents"]').screenshot({ path: join(SHOTS, `agents-${width}-${colorScheme}.png`) });
        await page.screenshot({ path: join(SHOTS, `overview-${width}-${colorScheme}.png`), fullPage: true });
        await page.goto(`${server.url}/#/org/${EMPTY_ORG}/overview?days=7`);
        await page.locator('section[aria-labelledby="agents"] .empty').waitFor();
        await page.locator('section[aria-labelledby="agents"]').screenshot({ path: join(SHOTS, `empty-${width}-${colorScheme}.png`) });
        await page.context().close();
      }
    }
    // Between the two, where the tables stand side by side or one under the other.
    for (const width of [1024, 900, 660]) {
      const page = await overview({ viewport: { width, height: 900 } });
      await page.waitForFunction(() => document.documentElement.scrollWidth <= innerWidth, null, { timeout: 3_000 }).catch(() => {});
      assert.deepEqual(await layoutProblems(page, 'table.breakdown.usage, table.tools'), [], `layout at ${width} px`);
      await page.context().close();
    }
  });
});

// Every page of the dashboard renders real figures that match the API, and
// passes an axe-core scan; the overview screenshot in the README comes from here.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { withDashboard } from './suite.js';
import { card, change, expectAccessible, ms, newPage, number, shift, signedIn, today } from './browser.js';
import { numberRows } from './charts.js';

// The README's screenshot is rewritten when UPDATE_SCREENSHOTS=1; otherwise
// the run's screenshot goes to the temp directory.
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? resolve(import.meta.dirname, '../../docs') : tmpdir();
let server;
let browser;
let admin;

withDashboard((s, b) => {
  [server, browser] = [s, b];
  admin = server.token('SUPER_ADMIN', { sub: 'demo-admin' });
});

/** The range a page says it shows, from its heading ("2026-10-24 – 2026-11-22"). */
async function shownRange(page) {
  const text = await page.locator('h1 small').first().textContent();
  const [from, to] = text.match(/\d{4}-\d{2}-\d{2}/g);
  return { from, to };
}

const percent = (rate) => `${(rate * 100).toFixed(1)} %`;
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const close = (shown, exact, step) => assert.ok(Math.abs(shown - exact) <= step / 2 + 1e-9, `${shown} shown for ${exact}`);
/** A cost as shown: cents from $1, four decimals below. */
const closeCost = (text, exact) => close(number(text), Number(exact), Number(exact) < 1 ? 0.0001 : 0.01);
/** A duration as shown: one decimal of its unit. */
const closeDuration = (text, exact) => close(ms(text), exact, { ms: 1, s: 100, min: 6_000, h: 360_000 }[text.split(' ')[1]]);

describe('pages show the figures the API gives', () => {
  test('org overview: KPI cards, changes against the previous period, charts, failures, top users', async () => {
    const page = await signedIn(browser, server, admin, '/org/demo-1/overview?days=30');
    await page.locator('.card').first().waitFor();
    const range = await shownRange(page);
    assert.equal(range.to, today('UTC'), 'the range ends today in the org time zone (UTC)');
    assert.equal(range.from, shift(range.to, -29));
    const beforeRange = { from: shift(range.from, -30), to: shift(range.from, -1) };
    const KPIS = `activeUsers sessions runs successRate costUsd inputTokens outputTokens durationP95Ms localHandoffRate
      postHandoffIterationRate errorsByCategory { category count }`;
    const { org } = await server.gql(admin, `query($r: DateRange!, $b: DateRange!) { org(slug: "demo-1") {
      now: overview(range: $r) { kpis { ${KPIS} } daily { date kpis { succeededRuns failedRuns cancelledRuns } }
        topUsers(limit: 10) { user { id name } runs } }
      before: overview(range: $b) { kpis { ${KPIS} } } } }`, { r: range, b: beforeRange });
    const [k, b] = [org.now.kpis, org.before.kpis];
    assert.ok(k.runs > 0 && b.runs > 0, 'the demo org has runs in both periods');
    assert.equal(number(await card(page, 'Active users')), k.activeUsers);
    assert.equal(number(await card(page, 'Sessions')), k.sessions);
    assert.equal(number(await card(page, 'Runs')), k.runs);
    assert.equal(await card(page, 'Success rate'), percent(k.successRate));
    assert.equal(await card(page, 'Local handoff rate'), percent(k.localHandoffRate));
    assert.equal(await card(page, 'Iteration after handoff'), percent(k.postHandoffIterationRate));
    closeCost(await card(page, 'Cost'), k.costUsd);
    assert.equal(await card(page, 'Tokens'), compact.format(k.inputTokens + k.outputTokens));
    closeDuration(await card(page, 'p95 run duration'), k.durationP95Ms);

    // Changes carry their direction, and their colour says whether that is good for the figure.
    const arrow = (c) => (c > 0 ? '▲ ' : '▼ ');
    const relative = (now, was) => { const c = Math.round(((now - was) / was) * 100); return c === 0 ? 'no change' : `${arrow(c)}${c > 0 ? '+' : ''}${c} %`; };
    const points = (now, was) => { const c = Math.round((now - was) * 1000) / 10; return c === 0 ? 'no change' : `${arrow(c)}${c > 0 ? '+' : ''}${c.toFixed(1)} pts`; };
    const tone = (now, was, better) => (now === was ? 'neutral' : (now > was) === (better === 'up') ? 'good' : 'bad');
    const runs = await change(page, 'Runs');
    assert.equal(runs.text, relative(k.runs, b.runs));
    assert.equal(runs.tone, Math.round(((k.runs - b.runs) / b.runs) * 100) === 0 ? 'neutral' : tone(k.runs, b.runs, 'up'));
    assert.match(runs.line, /vs previous 30 d$/);
    assert.equal((await change(page, 'Sessions')).text, relative(k.sessions, b.sessions));
    const success = await change(page, 'Success rate');
    assert.equal(success.text, points(k.successRate, b.successRate));
    if (success.text !== 'no change') assert.equal(success.tone, tone(k.successRate, b.successRate, 'up'), 'a higher success rate is good');
    const cost = await change(page, 'Cost');
    assert.equal(cost.text, relative(Number(k.costUsd), Number(b.costUsd)));
    if (cost.text !== 'no change') assert.equal(cost.tone, tone(Number(k.costUsd), Number(b.costUsd), 'down'), 'a higher cost is bad');

    const failures = k.errorsByCategory.filter((f) => f.count > 0).sort((x, y) => y.count - x.count);
    assert.ok(failures.length > 0);
    const shownFailures = await page.locator('section[aria-labelledby="failures"] tbody tr').allTextContents();
    assert.deepEqual(shownFailures, failures.map((f) => `${f.category}${f.count.toLocaleString('en-US')}`));
    assert.ok(org.now.topUsers.length > 0);
    const top = await page.locator('section[aria-labelledby="top-users"] tbody tr td:first-child').allTextContents();
    assert.deepEqual(top, org.now.topUsers.map((u) => u.user.name ?? u.user.id));

    assert.equal(await page.locator('.chart').count(), 7, 'seven daily charts');
    const runsChart = page.locator('.chart', { hasText: 'Runs per day by outcome' });
    const shownDaily = await (await numberRows(runsChart)).evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
    assert.deepEqual(shownDaily, org.now.daily.map((d) => [d.date, ...[d.kpis.succeededRuns, d.kpis.failedRuns, d.kpis.cancelledRuns].map(String)]));

    await expectAccessible(page, 'on the overview');
    // Closed again, for the screenshot of the page as it first shows.
    await runsChart.locator('details summary').last().click();
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.setViewportSize({ width: 1280, height: 1000 });
    await page.screenshot({ path: resolve(SCREENSHOTS, 'overview.png'), fullPage: true });
  });

  test('a custom range applies to the page and travels with its links', async () => {
    const page = await signedIn(browser, server, admin, '/org/demo-1/overview?days=7');
    await page.locator('.card').first().waitFor();
    const last = today('UTC');
    await page.getByLabel('Range').selectOption('custom');
    await page.getByLabel('From', { exact: true }).waitFor();
    const range = { from: shift(last, -12), to: shift(last, -3) };
    await page.getByLabel('To', { exact: true }).fill(range.to);
    await page.waitForFunction((to) => location.hash.includes(`to=${to}`), range.to);
    await page.getByLabel('From', { exact: true }).fill(range.from);
    await page.waitForFunction((r) => document.querySelector('h1 small')?.textContent.startsWith(`${r.from} – ${r.to}`), range);
    const { org } = await server.gql(admin, 'query($r: DateRange!) { org(slug: "demo-1") { overview(range: $r) { kpis { runs } } } }', { r: range });
    await page.waitForFunction((runs) => [...document.querySelectorAll('.card')].some((c) => c.textContent.startsWith('Runs') && c.querySelector('.value').textContent === runs), org.overview.kpis.runs.toLocaleString('en-US'));
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: /^Users .* active from/ }).waitFor();
    assert.deepEqual(await shownRange(page), range, 'the users page shows the same custom range');
  });

  test('overview in dark mode, and at phone width', async () => {
    const page = await signedIn(browser, server, admin, '/org/demo-2/overview?days=7', { colorScheme: 'dark' });
    await page.locator('.card').first().waitFor();
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(await background(), 'rgb(18, 18, 22)', 'the dark theme follows the system');
    await expectAccessible(page, 'in dark mode');
    await page.getByRole('button', { name: /^Theme: dark \(system\)/ }).click();
    assert.equal(await background(), 'rgb(247, 247, 249)', 'the toggle switches to light');
    await page.getByRole('button', { name: /^Theme: light\./ }).click();
    assert.equal(await background(), 'rgb(18, 18, 22)', 'and back to following the system');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('.card').first().waitFor();
    // Charts redraw for the new width when their resize observer fires: let the layout settle.
    await page.waitForFunction(() => document.documentElement.scrollWidth <= innerWidth, null, { timeout: 3_000 }).catch(() => {});
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at phone width`);
    await expectAccessible(page, 'at phone width');
    // A chart's numbers, opened at phone width: each day on one line, and
    // the table scrolls inside its chart rather than the page sideways.
    const rows = await numberRows(page.locator('.chart', { hasText: 'Runs per day by outcome' }));
    const lines = await rows.locator('td:first-child a').evaluateAll((links) => links.map((a) => a.getClientRects().length));
    assert.ok(lines.length >= 7 && lines.every((n) => n === 1), `every day on one line: ${lines}`);
    const wider = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    assert.ok(wider <= 0, `the page scrolls sideways by ${wider}px with the numbers open`);
  });

  test('sessions table and session detail', async () => {
    const t = today('UTC');
    const page = await signedIn(browser, server, admin, `/org/demo-2/sessions?from=${shift(t, -365)}&to=${shift(t, 1)}`);
    await page.locator('table.sessions tbody tr').first().waitFor();
    const { org } = await server.gql(admin, `{ org(slug: "demo-2") { sessions(first: 25) { totalCount
      edges { node { id messageCount runCount failedRuns costUsd activeTimeMs handedOff iteratedAfterHandoff timeline { eventId } runs { id } } } } } }`);
    assert.equal(number(await page.locator('h1 small').textContent()), org.sessions.totalCount);
    const ids = await page.locator('table.sessions tbody tr td:first-child .sid').allTextContents();
    assert.deepEqual(ids, org.sessions.edges.map((e) => e.node.id));
    await expectAccessible(page, 'on the sessions page');

    const first = org.sessions.edges.find((e) => e.node.runs.length > 0).node;
    await page.getByRole('link', { name: first.id }).click();
    await page.getByRole('heading', { name: `Session ${first.id}` }).waitFor();
    assert.equal(number(await card(page, 'Messages')), first.messageCount);
    assert.equal(await card(page, 'Runs'), `${first.runCount} (${first.failedRuns} failed)`);
    closeCost(await card(page, 'Cost'), first.costUsd);
    closeDuration(await card(page, 'Active time'), first.activeTimeMs);
    assert.equal(await card(page, 'Handoff'), first.handedOff ? (first.iteratedAfterHandoff ? 'local, iterated' : 'local') : 'none');
    assert.equal(await page.locator('table.timeline tbody tr').count(), first.timeline.length);
    assert.equal(await page.locator('section[aria-label="Runs"] tbody tr').count(), first.runs.length);
    await page.locator('section[aria-label="Runs"] summary').first().click();
    await expectAccessible(page, 'on a session');
  });

  test('users table and user detail', async () => {
    const page = await signedIn(browser, server, admin, '/org/demo-1/users?days=30');
    await page.locator('tbody tr').first().waitFor();
    const range = await shownRange(page);
    const { org } = await server.gql(admin, `query($r: DateRange!) { org(slug: "demo-1") {
      users(range: $r, first: 200) { totalCount edges { node { user { id name } runs sessions successRate costUsd } } } } }`, { r: range });
    assert.ok(org.users.totalCount > 0);
    assert.equal(await page.locator('tbody tr').count(), org.users.totalCount);
    const mostRuns = Math.max(...org.users.edges.map((e) => e.node.runs));
    assert.equal(number(await page.locator('tbody tr').first().locator('td').nth(2).textContent()), mostRuns, 'sorted by runs, most first');
    await expectAccessible(page, 'on the users page');

    // Sorting by another column puts the user with the most sessions first.
    await page.locator('thead').getByRole('link', { name: 'Sessions', exact: true }).click();
    await page.locator('th[aria-sort="descending"]', { hasText: 'Sessions' }).waitFor();
    const mostSessions = Math.max(...org.users.edges.map((e) => e.node.sessions));
    assert.equal(number(await page.locator('tbody tr').first().locator('td').nth(1).textContent()), mostSessions);

    // Finding narrows the table to matching users.
    const name = (await page.locator('tbody tr').first().locator('td a').textContent()).trim();
    await page.getByLabel('Find').fill(name);
    await page.waitForFunction((n) => {
      const cells = [...document.querySelectorAll('tbody tr td:first-child')];
      return cells.length > 0 && cells.every((td) => td.textContent.includes(n));
    }, name);

    const user = org.users.edges.find((e) => (e.node.user.name ?? e.node.user.id) === name).node;
    await page.getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { name }).waitFor();
    assert.equal(number(await card(page, 'Sessions')), user.sessions);
    assert.equal(number(await card(page, 'Runs')), user.runs);
    assert.equal(await card(page, 'Success rate'), percent(user.successRate));
    closeCost(await card(page, 'Cost'), user.costUsd);
    await expectAccessible(page, 'on a user');
  });

  test('fleet overview for a SUPER_ADMIN', async () => {
    const page = await signedIn(browser, server, admin, '/global?days=90');
    await page.locator('.card').first().waitFor();
    const range = await shownRange(page);
    const { globalOverview: g } = await server.gql(admin, `query($r: DateRange!) { globalOverview(range: $r) {
      kpis { runs sessions activeUsers successRate costUsd } topOrgs(limit: 100) { org { name } } } }`, { r: range });
    assert.equal(number(await card(page, 'Runs')), g.kpis.runs);
    assert.equal(number(await card(page, 'Sessions')), g.kpis.sessions);
    assert.equal(number(await card(page, 'Active users')), g.kpis.activeUsers);
    assert.equal(await card(page, 'Success rate'), percent(g.kpis.successRate));
    closeCost(await card(page, 'Cost'), g.kpis.costUsd);
    assert.equal(g.topOrgs.length, 3);
    const orgs = await page.locator('section[aria-labelledby="health"] tbody td:first-child').allTextContents();
    assert.deepEqual(orgs, g.topOrgs.map((o) => o.org.name));
    await expectAccessible(page, 'on the fleet page');
  });

  test('a dashboard whose code cannot be fetched says so instead of loading forever', async () => {
    const page = await newPage(browser);
    await page.route('**/bundle/*/main.js', (route) => route.abort());
    await page.goto(`${server.url}/#/org/demo-1/overview?token=${encodeURIComponent(admin)}`);
    const alert = page.locator('#app').getByRole('alert');
    await alert.getByText('The dashboard could not load').waitFor();
    assert.match(await alert.textContent(), /Reload the page/);
    page.errors.length = 0; // the failed fetch and import are what this test makes happen
  });

  test('GraphiQL loads from the binary under its Content-Security-Policy and answers a query', async () => {
    const page = await newPage(browser);
    await page.goto(`${server.url}/graphiql#token=${encodeURIComponent(admin)}`);
    await page.locator('.graphiql-container').waitFor();
    await page.locator('.graphiql-execute-button').click();
    await page.locator('.result-window').getByText('"SUPER_ADMIN"').waitFor();
    // page.errors, checked after each test, holds any CSP refusal the console reported.
  });
});

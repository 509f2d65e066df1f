// Every page of the dashboard renders real figures that match the API, and
// passes an axe-core scan; the overview screenshot in the README comes from here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startServer } from './server.js';
import { card, launch, number, signedIn, violations } from './browser.js';

const SCREENSHOTS = resolve(import.meta.dirname, '../../docs');
let server;
let browser;
let admin;

before(async () => {
  server = await startServer();
  browser = await launch();
  admin = server.token('SUPER_ADMIN', { sub: 'demo-admin' });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The range a page says it shows, from its heading ("2026-10-24 – 2026-11-22"). */
async function shownRange(page, selector = 'h1 small') {
  const text = await page.locator(selector).first().textContent();
  const [from, to] = text.match(/\d{4}-\d{2}-\d{2}/g);
  return { from, to };
}

const percent = (rate) => `${(rate * 100).toFixed(1)} %`;

async function expectAccessible(page) {
  assert.deepEqual(await violations(page), [], 'axe-core found serious or critical violations');
}

describe('pages show the figures the API gives', () => {
  test('org overview: KPI cards, change against the previous period, failures, top users', async () => {
    const page = await signedIn(browser, server, admin, '/org/demo-1/overview?days=30');
    await page.locator('.card').first().waitFor();
    const range = await shownRange(page);
    const days = (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 + 1;
    assert.equal(days, 30);
    const beforeRange = {
      from: new Date(Date.parse(range.from) - 30 * 86_400_000).toISOString().slice(0, 10),
      to: new Date(Date.parse(range.from) - 86_400_000).toISOString().slice(0, 10),
    };
    const { org } = await server.gql(admin, `query($r: DateRange!, $b: DateRange!) { org(slug: "demo-1") {
      now: overview(range: $r) { kpis { activeUsers sessions runs successRate costUsd localHandoffRate errorsByCategory { category count } }
        topUsers(limit: 10) { user { id name } runs } }
      before: overview(range: $b) { kpis { runs } } } }`, { r: range, b: beforeRange });
    const k = org.now.kpis;
    assert.ok(k.runs > 0, 'the demo org has runs in the last 30 days');
    assert.equal(number(await card(page, 'Active users')), k.activeUsers);
    assert.equal(number(await card(page, 'Sessions')), k.sessions);
    assert.equal(number(await card(page, 'Runs')), k.runs);
    assert.equal(await card(page, 'Success rate'), percent(k.successRate));
    assert.equal(await card(page, 'Local handoff rate'), percent(k.localHandoffRate));
    assert.equal(number(await card(page, 'Cost')), Number(Number(k.costUsd).toFixed(2)));
    if (org.before.kpis.runs > 0) {
      const change = ((k.runs - org.before.kpis.runs) / org.before.kpis.runs) * 100;
      const runsCard = page.locator('.card', { hasText: /^Runs/ });
      assert.equal((await runsCard.locator('.change').textContent()).trim(), `${change >= 0 ? '+' : ''}${change.toFixed(0)} %`);
    }
    const failures = await page.locator('section[aria-labelledby="failures"] tbody tr').allTextContents();
    assert.deepEqual(failures, k.errorsByCategory.map((f) => `${f.category}${f.count.toLocaleString('en-US')}`));
    const top = await page.locator('section[aria-labelledby="top-users"] tbody tr td:first-child').allTextContents();
    assert.deepEqual(top, org.now.topUsers.map((u) => u.user.name ?? u.user.id));
    assert.equal(await page.locator('.chart').count(), 5, 'five daily charts');
    await expectAccessible(page);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.setViewportSize({ width: 1280, height: 1000 });
    await page.screenshot({ path: resolve(SCREENSHOTS, 'overview.png'), fullPage: true });
    assert.deepEqual(page.errors ?? [], []);
    await page.context().close();
  });

  test('overview in dark mode passes the accessibility scan too', async () => {
    const page = await signedIn(browser, server, admin, '/org/demo-2/overview?days=7', { colorScheme: 'dark' });
    await page.locator('.card').first().waitFor();
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, 'rgb(18, 18, 22)', 'the dark theme follows the system');
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Toggle dark mode' }).click();
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(247, 247, 249)');
    await page.context().close();
  });

  test('sessions table and session detail', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const page = await signedIn(browser, server, admin, `/org/demo-2/sessions?from=2026-01-01&to=${today}`);
    await page.locator('table.sessions tbody tr').first().waitFor();
    const { org } = await server.gql(admin, `{ org(slug: "demo-2") { sessions(first: 25) { totalCount
      edges { node { id messageCount runCount failedRuns timeline { eventId } runs { id } } } } } }`);
    const heading = await page.locator('h1 small').textContent();
    assert.equal(number(heading), org.sessions.totalCount);
    const ids = await page.locator('table.sessions tbody tr td:first-child').allTextContents();
    assert.deepEqual(ids, org.sessions.edges.map((e) => e.node.id));
    await expectAccessible(page);

    const first = org.sessions.edges[0].node;
    await page.getByRole('link', { name: first.id }).click();
    await page.getByRole('heading', { name: `Session ${first.id}` }).waitFor();
    assert.equal(number(await card(page, 'Messages')), first.messageCount);
    assert.equal(await card(page, 'Runs'), `${first.runCount} (${first.failedRuns} failed)`);
    assert.equal(await page.locator('.timeline li').count(), first.timeline.length);
    assert.equal(await page.locator('section[aria-label="Runs"] tbody tr').count(), first.runs.length);
    await expectAccessible(page);
    await page.context().close();
  });

  test('users table and user detail', async () => {
    const page = await signedIn(browser, server, admin, '/org/demo-1/users?days=30');
    await page.locator('tbody tr').first().waitFor();
    const range = await shownRange(page);
    const { org } = await server.gql(admin, `query($r: DateRange!) { org(slug: "demo-1") {
      users(range: $r, first: 200) { totalCount edges { node { user { id name } runs sessions } } } } }`, { r: range });
    assert.equal(await page.locator('tbody tr').count(), org.users.totalCount);
    const mostRuns = Math.max(...org.users.edges.map((e) => e.node.runs));
    const firstRow = page.locator('tbody tr').first();
    assert.equal(number(await firstRow.locator('td').nth(2).textContent()), mostRuns, 'sorted by runs, most first');
    await expectAccessible(page);

    // Sorting by another column puts the user with the most sessions first.
    await page.getByRole('link', { name: 'Sessions', exact: true }).last().click();
    await page.waitForFunction(() => location.hash.includes('sort=sessions'));
    const mostSessions = Math.max(...org.users.edges.map((e) => e.node.sessions));
    assert.equal(number(await page.locator('tbody tr').first().locator('td').nth(1).textContent()), mostSessions);

    const name = (await page.locator('tbody tr').first().locator('td a').textContent()).trim();
    const user = org.users.edges.find((e) => (e.node.user.name ?? e.node.user.id) === name).node;
    await page.getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { name }).waitFor();
    assert.equal(number(await card(page, 'Sessions')), user.sessions);
    assert.equal(number(await card(page, 'Runs')), user.runs);
    await expectAccessible(page);
    await page.context().close();
  });

  test('fleet overview for a SUPER_ADMIN', async () => {
    const page = await signedIn(browser, server, admin, '/global?days=90');
    await page.locator('.card').first().waitFor();
    const range = await shownRange(page);
    const { globalOverview: g } = await server.gql(admin, `query($r: DateRange!) { globalOverview(range: $r) {
      kpis { runs sessions } topOrgs(limit: 50) { org { name } } } }`, { r: range });
    assert.equal(number(await card(page, 'Runs')), g.kpis.runs);
    assert.equal(number(await card(page, 'Sessions')), g.kpis.sessions);
    const orgs = await page.locator('section[aria-labelledby="health"] tbody td:first-child').allTextContents();
    assert.deepEqual(orgs, g.topOrgs.map((o) => o.org.name));
    await expectAccessible(page);
    await page.context().close();
  });
});

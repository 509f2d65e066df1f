// A user's page puts their cost in context: per day beside the org's median
// user (User.costTrend), per successful run; their sessions lead with the
// repo. The user pages at phone width, in both themes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withDashboard } from './suite.js';
import { card, expectAccessible, number, shift, signedIn, today } from './browser.js';
import { layoutProblems } from './layout.js';
import { numberRows } from './charts.js';

/**
 * Checks a cost as the page shows it against the exact decimal, worked out
 * here rather than with the page's own formatter: "—" for none, else a
 * dollar figure within half its last shown digit (cents from $1, four
 * decimals below, two significant digits below $0.0001).
 */
function assertCost(shown, exact, what) {
  if (exact == null) {
    assert.equal(shown, '—', what);
    return;
  }
  const value = Number(exact);
  assert.ok(shown.startsWith(value < 0 ? '-$' : '$'), `${what}: ${shown}`);
  const size = Math.abs(value);
  const decimals = (shown.split('.')[1] ?? '').length;
  const step = 10 ** -decimals;
  assert.ok(Math.abs(Math.abs(number(shown)) - size) <= step / 2 + 1e-12, `${what}: ${shown} shown for ${exact}`);
  if (size >= 1) assert.equal(decimals, 2, `${what}: cents from $1 (${shown})`);
}

let server;
let browser;
let manager;

withDashboard((s, b) => {
  [server, browser] = [s, b];
  manager = server.token('MANAGER', { org: 'demo-1', sub: 'a-manager' });
});

const USER = 'user-016';
const MEDIAN = 'Cost per day vs the org’s median user';
const PER_RUN = 'Cost per successful run, per day';

/** The rows of the numbers table of the chart titled `title`, as text cells. */
const numbers = async (page, title) => (await numberRows(page.locator('figure.chart', { has: page.locator('figcaption', { hasText: title }) })))
  .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent.trim())));

describe('a user’s cost in context', () => {
  test('the cost-vs-median chart shows the API’s costTrend day by day, and says how often the user was above the median', async () => {
    const range = { from: shift(today('UTC'), -29), to: today('UTC') };
    const { org } = await server.gql(manager, `query($r: DateRange!, $f: SessionFilter) { org(slug: "demo-1") { user(id: "${USER}") { name
      stats(range: $r) { costUsd }
      daily(range: $r) { date kpis { succeededRuns costPerSuccessfulRun } }
      costTrend(range: $r) { date costUsd active orgMedianCostUsd }
      sessions(filter: $f, first: 20) { edges { node { id attributes } } } } } }`,
    { r: range, f: { range: { from: `${range.from}T00:00:00.000Z`, to: `${shift(range.to, 1)}T00:00:00.000Z` } } });
    const user = org.user;
    const page = await signedIn(browser, server, manager, `/org/demo-1/users/${USER}?days=30`);
    await page.getByRole('heading', { name: user.name }).waitFor();
    await page.locator('figcaption', { hasText: MEDIAN }).waitFor();

    const rows = await numbers(page, MEDIAN);
    assert.equal(rows.length, 30);
    assert.deepEqual(rows.map((r) => r[0]), user.costTrend.map((d) => d.date));
    rows.forEach(([date, cost, median], i) => {
      assertCost(cost, user.costTrend[i].costUsd, `cost on ${date}`);
      assertCost(median, user.costTrend[i].orgMedianCostUsd, `median on ${date}`);
    });
    const active = user.costTrend.filter((d) => d.active && d.orgMedianCostUsd != null);
    const above = active.filter((d) => Number(d.costUsd) > Number(d.orgMedianCostUsd)).length;
    assert.ok(active.length > 0, 'the demo user was active');
    await page.getByText(`${user.name} was above it on ${above} of the ${active.length} days they were active.`).waitFor();
    // The plotted values are the API's too.
    const plotted = await page.locator('figure.chart', { has: page.locator('figcaption', { hasText: MEDIAN }) }).locator('[role="img"]')
      .evaluate((el) => el.uplot.data.slice(1));
    assert.deepEqual(plotted, [user.costTrend.map((d) => Number(d.costUsd)), user.costTrend.map((d) => (d.orgMedianCostUsd == null ? null : Number(d.orgMedianCostUsd)))]);

    // Cost per successful run: the range's cost over its succeeded runs; per day, the API's figure.
    const succeeded = user.daily.reduce((n, d) => n + d.kpis.succeededRuns, 0);
    assertCost(await card(page, 'Cost per successful run'), (Number(user.stats.costUsd) / succeeded).toFixed(6), 'the card');
    const perRun = await numbers(page, PER_RUN);
    assert.equal(perRun.length, 30);
    assert.deepEqual(perRun.map((r) => r[0]), user.daily.map((d) => d.date));
    perRun.forEach(([date, cost], i) => assertCost(cost, user.daily[i].kpis.costPerSuccessfulRun, `per run on ${date}`));

    // The sessions lead with their repo, then the id.
    const labels = await page.locator('ul.user-sessions li a').evaluateAll((as) => as.map((a) => [a.querySelector('.repo')?.textContent ?? null, a.querySelector('.sid').textContent]));
    assert.ok(labels.length > 0, 'the user has sessions in the range');
    assert.deepEqual(labels, user.sessions.edges.map(({ node }) => [node.attributes.repo ?? null, node.id]));
    await expectAccessible(page, 'on a user with the cost charts');
  });

  test('a day of the chart opens that day’s sessions of the user', async () => {
    const page = await signedIn(browser, server, manager, `/org/demo-1/users/${USER}?days=7`);
    const chart = page.locator('figure.chart', { has: page.locator('figcaption', { hasText: MEDIAN }) });
    await chart.locator('summary').click();
    const day = shift(today('UTC'), -1);
    await chart.locator('details tbody a', { hasText: day }).click();
    await page.waitForFunction(({ d, u }) => location.hash.includes(`from=${d}&to=${d}`) && location.hash.includes(`user=${u}`), { d: day, u: USER });
    await page.locator('h1 small', { hasText: 'in all' }).waitFor();
  });
});

describe('user pages at phone width', () => {
  test('at 390 px in both themes the users list and a user neither scroll sideways nor overlap', async () => {
    for (const colorScheme of ['light', 'dark']) {
      const options = { colorScheme, viewport: { width: 390, height: 844 } };
      const list = await signedIn(browser, server, manager, '/org/demo-1/users?days=30', options);
      await list.locator('table.users tbody tr').first().waitFor();
      assert.deepEqual(await layoutProblems(list, 'table.users'), [], `users at 390 px, ${colorScheme}`);

      const page = await signedIn(browser, server, manager, `/org/demo-1/users/${USER}?days=30`, options);
      await page.locator('figcaption', { hasText: MEDIAN }).waitFor();
      await page.locator('ul.user-sessions li').first().waitFor();
      const summaries = await page.locator('.chart summary').all();
      assert.ok(summaries.length > 0, 'the charts have their numbers tables');
      for (const summary of summaries) await summary.click();
      assert.deepEqual(await layoutProblems(page, '.chart table'), [], `a user at 390 px, ${colorScheme}`);
      // Each session line stays inside the screen, its parts one under the other, not over each other.
      const lines = await page.locator('ul.user-sessions li').evaluateAll((lis) => lis.map((li) => {
        const [a, meta] = [li.querySelector('a').getBoundingClientRect(), li.querySelector('.muted').getBoundingClientRect()];
        return { inside: a.right <= innerWidth && meta.right <= innerWidth, apart: meta.top >= a.bottom - 1 };
      }));
      assert.ok(lines.every((l) => l.inside && l.apart), JSON.stringify(lines));
      await expectAccessible(page, `on a user at 390 px, ${colorScheme}`);
    }
  });
});

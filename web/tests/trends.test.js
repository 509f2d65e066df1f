// The trends a manager asks for, on the org and team overview: cost per
// successful run (card and chart) and active users per day and per week,
// equal to the API's figures and said so they do not mislead (gaps are not
// zeros, weeks are distinct users, a cut week is partial); readable at
// 390 px in both themes. Screenshots go to TRENDS_SHOTS (default
// /tmp/shots), named c-….
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withDashboard } from './suite.js';
import { card, change, expectAccessible, number, shift, signedIn, today, until } from './browser.js';
import { layoutProblems } from './layout.js';
import { numberRows } from './charts.js';

const SHOTS = process.env.TRENDS_SHOTS ?? '/tmp/shots';
let server;
let browser;
let admin;

withDashboard((s, b) => {
  [server, browser] = [s, b];
  admin = server.token('SUPER_ADMIN', { sub: 'demo-admin' });
});

/** The last `days` days, as the dashboard counts them for demo-1 (UTC). */
const last = (days) => ({ from: shift(today('UTC'), -(days - 1)), to: today('UTC') });

/** Dollars the way the dashboard shows them in en-US: cents from $1 (once rounded), four decimals below, two significant digits below $0.0001. */
function usd(decimal) {
  const value = Number(decimal);
  const tiny = value > 0 && Number(value.toPrecision(2)) < 0.0001;
  const digits = value === 0 || Number(value.toFixed(4)) >= 1 ? 2 : 4;
  return `$${value.toLocaleString('en-US', tiny ? { minimumSignificantDigits: 2, maximumSignificantDigits: 2 } : { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

const FIGURES = `kpis { costUsd succeededRuns costPerSuccessfulRun }
  daily { date kpis { activeUsers costPerSuccessfulRun } } weekly { from to days activeUsers }`;

/** demo-1's overview of `range` (and of the period before it) from the API. */
async function figures(range) {
  const before = { from: shift(range.from, -(Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 - 1), to: shift(range.from, -1) };
  const { org } = await server.gql(admin, `query($r: DateRange!, $b: DateRange!) { org(slug: "demo-1") {
    now: overview(range: $r) { ${FIGURES} } before: overview(range: $b) { kpis { costPerSuccessfulRun } } } }`, { r: range, b: before });
  return org;
}

/** Every chart's plot is drawn. */
const drawn = (page) => page.waitForFunction(() => {
  const plots = [...document.querySelectorAll('.chart [role="img"]')];
  return plots.length > 0 && plots.every((el) => el.uplot);
});

/** The weeks as shown: `[from, to, activeUsers, partial note]`. */
const shownWeeks = (page) => page.locator('table.weeks tbody tr').evaluateAll((rows) => rows.map((r) => [
  r.dataset.from, r.dataset.to, r.querySelector('.figure').textContent.trim(), r.querySelector('.partial-days')?.textContent.trim() ?? null,
]));

describe('trends: cost per successful run, active users per day and per week', () => {
  test('the cost per successful run card and chart equal the API’s; a day without a success is a gap', async () => {
    const range = last(30);
    const { now, before } = await figures(range);
    assert.ok(now.kpis.costPerSuccessfulRun != null && now.kpis.succeededRuns > 0, 'the demo has successes');
    assert.equal(Number(now.kpis.costPerSuccessfulRun), Number((Number(now.kpis.costUsd) / now.kpis.succeededRuns).toFixed(6)), 'cost ÷ succeeded runs, to 6 decimals');
    const page = await signedIn(browser, server, admin, '/org/demo-1/overview?days=30');
    await page.locator('.card').first().waitFor();
    assert.equal(await card(page, 'Cost per successful run'), usd(now.kpis.costPerSuccessfulRun));
    // The change against the previous 30 days: a higher cost per success is worse.
    const shown = await change(page, 'Cost per successful run');
    const [k, b] = [Number(now.kpis.costPerSuccessfulRun), Number(before.kpis.costPerSuccessfulRun)];
    const c = Math.round(((k - b) / b) * 100);
    assert.equal(shown.text, c === 0 ? 'no change' : `${c > 0 ? '▲ +' : '▼ '}${c} %`);
    if (c !== 0) assert.equal(shown.tone, c > 0 ? 'bad' : 'good');
    // Its definition says failed and cancelled runs' cost is in it, and gives the division.
    const one = page.locator('.card', { has: page.locator('.label', { hasText: /^Cost per successful run$/ }) });
    const title = await one.getAttribute('title');
    assert.match(title, /the cost of failed, cancelled and unfinished runs is included/);
    assert.match(title, new RegExp(`÷ ${now.kpis.succeededRuns.toLocaleString('en-US')} succeeded runs`));

    // The chart: one value per day, the API's (a day without a success has none, and reads "—").
    await drawn(page);
    const chart = page.locator('.chart', { hasText: 'Cost per successful run per day (USD)' });
    assert.match(await chart.locator('.chart-note').textContent(), /without a successful run is a gap, not a zero/);
    const plotted = await chart.locator('[role="img"]').evaluate((el) => el.uplot.data[1]);
    assert.deepEqual(plotted, now.daily.map((d) => (d.kpis.costPerSuccessfulRun == null ? null : Number(d.kpis.costPerSuccessfulRun))));
    const cells = await (await numberRows(chart)).locator('td.num').allTextContents();
    assert.deepEqual(cells, now.daily.map((d) => (d.kpis.costPerSuccessfulRun == null ? '—' : usd(d.kpis.costPerSuccessfulRun))));

    // A day with hours and no success: gaps in the hourly chart, not zeros.
    const day = shift(today('UTC'), -2);
    const { org } = await server.gql(admin, `query($r: DateRange!) { org(slug: "demo-1") { overview(range: $r) { hourly { costUsd succeededRuns } } } }`, { r: { from: day, to: day } });
    await page.goto(`${server.url}/#/org/demo-1/overview?from=${day}&to=${day}`);
    const hourly = page.locator('.chart', { hasText: 'Cost per successful run per hour (USD)' });
    await hourly.waitFor();
    await drawn(page);
    const hours = await hourly.locator('[role="img"]').evaluate((el) => el.uplot.data[1]);
    assert.deepEqual(hours.map((v) => v == null), org.overview.hourly.map((h) => h.succeededRuns === 0), 'an hour without a success is a gap');
    assert.ok(hours.some((v) => v != null), 'the day has hours with a success');
    hours.forEach((v, i) => v != null && assert.ok(Math.abs(v - Number(org.overview.hourly[i].costUsd) / org.overview.hourly[i].succeededRuns) < 1e-9));
  });

  test('weekly active users equal the API’s weeks: distinct users, partial weeks said so; none under 14 days', async () => {
    for (const days of [30, 90]) {
      const { now } = await figures(last(days));
      const page = await signedIn(browser, server, admin, `/org/demo-1/overview?days=${days}`);
      await page.locator('table.weeks tbody tr').first().waitFor();
      assert.equal(await page.locator('.chart figcaption', { hasText: 'Active users per day and per week' }).count(), 1);
      assert.deepEqual(await shownWeeks(page), now.weekly.map((w) => [w.from, w.to, w.activeUsers.toLocaleString('en-US'),
        w.days < 7 ? `partial: ${w.days} of 7 days${w.to === today('UTC') ? ', today so far' : ''}` : w.to === today('UTC') ? 'today so far' : null]), `${days} days`);
      assert.ok(now.weekly.some((w) => w.days < 7), 'a week cut by the range');
      assert.match(await page.locator('.weeks-box .chart-note').textContent(), /counts each user once: it is not the sum of its days/);
      // A week's distinct users are at least its busiest day's and at most the sum of its days.
      for (const w of now.weekly) {
        const inWeek = now.daily.filter((d) => d.date >= w.from && d.date <= w.to).map((d) => d.kpis.activeUsers);
        assert.equal(inWeek.length, w.days);
        assert.ok(w.activeUsers >= Math.max(...inWeek) && w.activeUsers <= inWeek.reduce((x, y) => x + y, 0), `${w.from}: ${w.activeUsers}`);
      }
      // The daily series is the API's.
      await drawn(page);
      const daily = await page.locator('.chart.trend [role="img"]').evaluate((el) => el.uplot.data[1]);
      assert.deepEqual(daily, now.daily.map((d) => d.kpis.activeUsers));
      await expectAccessible(page, `on the overview of ${days} days`);
    }
    // 7 days: the daily chart only, and why.
    const page = await signedIn(browser, server, admin, '/org/demo-1/overview?days=7');
    const chart = page.locator('.chart', { hasText: 'Active users per day' });
    await chart.waitFor();
    assert.match(await chart.locator('.chart-note').textContent(), /Weeks are shown from 14 days on/);
    assert.equal(await page.locator('table.weeks').count(), 0);
  });

  test('a team overview has the card and the weeks, from the team’s figures', async () => {
    const orgAdmin = server.token('ORG_ADMIN', { org: 'demo-1', sub: 'trends-admin' });
    const range = last(30);
    const { org } = await server.gql(admin, 'query($r: DateRange!) { org(slug: "demo-1") { users(range: $r, first: 2) { edges { node { user { id } } } } } }', { r: range });
    const { createTeam } = await server.gql(orgAdmin, 'mutation { createTeam(org: "demo-1", name: "Trends") { id } }');
    await server.gql(orgAdmin, 'mutation($t: ID!, $u: [String!]!) { setTeamMembers(org: "demo-1", team: $t, userIds: $u) { id } }',
      { t: createTeam.id, u: org.users.edges.map((e) => e.node.user.id) });
    const { org: { team } } = await server.gql(admin, `query($t: ID!, $r: DateRange!) { org(slug: "demo-1") { team(id: $t) { overview(range: $r) { ${FIGURES} } } } }`,
      { t: createTeam.id, r: range });
    const page = await signedIn(browser, server, admin, `/org/demo-1/overview?days=30&team=${createTeam.id}`);
    await page.locator('table.weeks tbody tr').first().waitFor();
    const k = team.overview.kpis;
    assert.equal(await card(page, 'Cost per successful run'), k.costPerSuccessfulRun == null ? '—' : usd(k.costPerSuccessfulRun));
    assert.deepEqual((await shownWeeks(page)).map((w) => [w[0], number(w[2])]), team.overview.weekly.map((w) => [w.from, w.activeUsers]));
  });

  test('at 390 px, light and dark, nothing scrolls sideways and no text overlaps; screenshots at 1280 and 390 px', async () => {
    mkdirSync(SHOTS, { recursive: true });
    for (const colorScheme of ['light', 'dark']) {
      for (const width of [390, 1280]) {
        const page = await signedIn(browser, server, admin, '/org/demo-1/overview?days=30', { colorScheme, viewport: { width, height: 900 } });
        await page.locator('table.weeks tbody tr').first().waitFor();
        await page.locator('section[aria-labelledby="breakdowns"] table').first().waitFor();
        await drawn(page);
        await until(async () => (await page.evaluate(() => performance.getEntriesByName('overview-ready').length)) > 0, 'the overview to be ready');
        const where = `${width} px, ${colorScheme}`;
        assert.deepEqual(await layoutProblems(page, 'main table'), [], `the overview's tables at ${where}`);
        // Cards and charts keep their text inside their box, and the plots fit theirs.
        const spills = await page.evaluate(() => [...document.querySelectorAll('main .card, main .chart')]
          .filter((el) => el.scrollWidth > el.clientWidth + 1 || [...el.querySelectorAll('canvas')].some((c) => c.getBoundingClientRect().right > el.getBoundingClientRect().right + 1))
          .map((el) => (el.querySelector('.label, figcaption')?.textContent ?? el.className).trim()));
        assert.deepEqual(spills, [], `cards and charts at ${where}`);
        await page.screenshot({ path: join(SHOTS, `c-overview-${width}-${colorScheme}.png`), fullPage: true });
        await page.locator('.chart.trend').screenshot({ path: join(SHOTS, `c-active-users-${width}-${colorScheme}.png`) });
        await page.context().close();
      }
    }
    // 90 days (fourteen weeks) and one day (hours; weeks hidden), wide and light.
    for (const [name, path] of [['90d', '?days=90'], ['1d', `?from=${shift(today('UTC'), -2)}&to=${shift(today('UTC'), -2)}`]]) {
      const page = await signedIn(browser, server, admin, `/org/demo-1/overview${path}`, { colorScheme: 'light', viewport: { width: 1280, height: 900 } });
      await page.locator('.card').first().waitFor();
      await drawn(page);
      assert.deepEqual(await layoutProblems(page, 'main table'), [], `the overview of ${name} at 1280 px`);
      await page.screenshot({ path: join(SHOTS, `c-overview-${name}-1280-light.png`), fullPage: true });
    }
  });
});

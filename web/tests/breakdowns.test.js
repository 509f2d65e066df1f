// What an engineering manager acts on: breakdowns by model and by attribute
// that equal the API's figures and open the sessions behind them; days of a
// chart and top users that open their sessions (by mouse and keyboard);
// hourly charts for a short range; the breakdown keys in the settings; a
// failed run's error in plain sight; all of it readable at 390 px.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withDashboard } from './suite.js';
import { chartsDrawn, expectAccessible, number, shift, signedIn, today, until } from './browser.js';
import { layoutProblems } from './layout.js';
import { numberRows } from './charts.js';

let server;
let browser;
let admin;
let orgAdmin;

withDashboard((s, b) => {
  [server, browser] = [s, b];
  admin = server.token('SUPER_ADMIN', { sub: 'demo-admin' });
  orgAdmin = server.token('ORG_ADMIN', { org: 'demo-1', sub: 'an-org-admin' });
});

const KEYS = ['repo', 'agentVersion'];
const ROW = 'value runs succeededRuns failedRuns successRate costUsd';
const last30 = () => ({ from: shift(today('UTC'), -29), to: today('UTC') });

/** demo-1's breakdown `by` (and `key`) over `range`, from the API. */
async function breakdown(range, by, key = null) {
  const { org } = await server.gql(admin, `query($r: DateRange!, $by: BreakdownBy!, $key: String) { org(slug: "demo-1") { overview(range: $r) {
    breakdown(by: $by, key: $key) { rows { ${ROW} } other { ${ROW} } total { ${ROW} } } } } }`, { r: range, by, key });
  return org.overview.breakdown;
}

/** Sets demo-1's breakdown keys (unless set) and waits for every job breaking data down to end. */
async function keysReady() {
  const { org } = await server.gql(admin, '{ org(slug: "demo-1") { breakdownKeys } }');
  if (JSON.stringify(org.breakdownKeys) !== JSON.stringify(KEYS)) {
    await server.gql(orgAdmin, 'mutation($k: [String!]!) { setBreakdownKeys(org: "demo-1", keys: $k) { breakdownKeys } }', { k: KEYS });
  }
  await until(async () => {
    const { jobs } = await server.gql(admin, '{ jobs(first: 20) { org kind status } }');
    return jobs.every((j) => j.org !== 'demo-1' || !['QUEUED', 'RUNNING'].includes(j.status));
  }, 'the breakdown job to end', 60_000);
}

/** A breakdown table as shown: `[value, runs, cost]` per row, "other" and the total included. */
const shownRows = (table) => table.locator('tbody tr, tfoot tr').evaluateAll((rows) => rows.map((r) => [
  r.querySelector('th').textContent.trim(),
  r.querySelector('td[data-label="Runs"]').textContent.trim(),
  r.querySelector('td[data-label="Cost"]').textContent.trim(),
]));

/** The API's breakdown as the dashboard should show it. */
const expectedRows = (b) => [
  ...b.rows.map((r) => [r.value, r.runs, r.costUsd]),
  ...(b.other ? [['Other values', b.other.runs, b.other.costUsd]] : []),
  ['All', b.total.runs, b.total.costUsd],
];

/** Shown rows against the API's: the same values in the same order, runs exactly, cost to the cent (or to 4 decimals below $1). */
function sameRows(shown, expected, what) {
  assert.deepEqual(shown.map((r) => r[0]), expected.map((r) => r[0]), `${what}: the values`);
  shown.forEach(([value, runs, cost], i) => {
    assert.equal(number(runs), expected[i][1], `${what}: runs of ${value}`);
    const exact = Number(expected[i][2]);
    assert.ok(Math.abs(number(cost) - exact) <= (exact < 1 ? 0.00005 : 0.005) + 1e-9, `${what}: ${cost} shown for ${exact} (${value})`);
  });
}

/** The breakdown table under the heading `title` ("By model"). */
const table = (page, title) => page.locator(`xpath=//section[h3[normalize-space()="${title}"]]//table[contains(@class, "breakdown")]`);

describe('breakdowns and drill-downs', () => {
  test('the settings page checks breakdown keys beside the field, then saves valid ones and follows the job', async () => {
    const page = await signedIn(browser, server, orgAdmin, '/org/demo-1/admin/settings');
    const field = page.getByLabel('Keys, separated by commas');
    await field.waitFor();
    const error = page.locator('#keys-error');
    const saved = async () => (await server.gql(admin, '{ org(slug: "demo-1") { breakdownKeys } }')).org.breakdownKeys;
    const before = await saved();

    await field.fill('repo, branch, agentVersion, team, ticket, env');
    await error.waitFor();
    assert.match(await error.textContent(), /At most 5 keys: you listed 6/);
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.match(await field.getAttribute('aria-describedby'), /keys-error/);
    await page.getByRole('button', { name: 'Save breakdown keys' }).click();
    assert.deepEqual(await saved(), before, 'six keys are not saved');
    await field.fill('repo, repo');
    await page.locator('#keys-error', { hasText: '“repo” is listed twice' }).waitFor();
    await field.fill('repo,, branch');
    await page.locator('#keys-error', { hasText: 'empty' }).waitFor();
    await expectAccessible(page, 'with a keys message');

    await field.fill(KEYS.join(', '));
    await until(async () => (await error.count()) === 0, 'the message to go');
    await page.getByRole('button', { name: 'Save breakdown keys' }).click();
    await page.locator('[role="status"]', { hasText: 'A background job is breaking past data down again' }).waitFor();
    assert.deepEqual(await saved(), KEYS);
    await page.locator('[role="status"]', { hasText: 'The job has finished' }).waitFor({ timeout: 60_000 });
    assert.match(await page.locator('main .hint', { hasText: 'Now:' }).textContent(), /Now: repo, agentVersion\./);
  });

  test('the breakdown tables equal the API’s figures: by model and by each key, other and total', async () => {
    await keysReady();
    const range = last30();
    const page = await signedIn(browser, server, admin, '/org/demo-1/overview?days=30');
    await table(page, 'By model').locator('tbody tr').first().waitFor();
    const byModel = await breakdown(range, 'MODEL');
    assert.ok(byModel.rows.length > 1, 'the demo has several models');
    sameRows(await shownRows(table(page, 'By model')), expectedRows(byModel), 'by model');
    for (const key of KEYS) {
      await table(page, `By ${key}`).locator('tbody tr').first().waitFor();
      sameRows(await shownRows(table(page, `By ${key}`)), expectedRows(await breakdown(range, 'ATTRIBUTE', key)), `by ${key}`);
    }
    // The total is the overview's: the Runs card says the same.
    const { org } = await server.gql(admin, 'query($r: DateRange!) { org(slug: "demo-1") { overview(range: $r) { kpis { runs } } } }', { r: range });
    assert.equal(byModel.total.runs, org.overview.kpis.runs);

    const first = table(page, 'By model').locator('tbody tr').first();
    const top = byModel.rows[0];
    // Success rate with its denominator on hover; share of cost; figures right-aligned.
    assert.equal(await first.locator('td[data-label="Success rate"]').getAttribute('title'),
      `${top.succeededRuns.toLocaleString('en-US')} of ${(top.succeededRuns + top.failedRuns).toLocaleString('en-US')} finished runs succeeded${top.runs - top.succeededRuns - top.failedRuns ? ` (${(top.runs - top.succeededRuns - top.failedRuns).toLocaleString('en-US')} cancelled left out)` : ''}.`);
    assert.equal(await first.locator('td[data-label="Share of cost"]').textContent(), `${((Number(top.costUsd) / Number(byModel.total.costUsd)) * 100).toFixed(1)} %`);
    assert.equal(await first.locator('td[data-label="Cost"]').evaluate((td) => getComputedStyle(td).textAlign), 'right');
    // Every value links to its sessions over the same range; the total does not.
    const links = await table(page, 'By model').locator('tbody th a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(links, byModel.rows.filter((r) => r.value !== '(none)').map((r) => `#/org/demo-1/sessions?days=30&model=${encodeURIComponent(r.value)}`));
    assert.equal(await table(page, 'By model').locator('tfoot a').count(), 0);
    const repo = await table(page, 'By repo').locator('tbody th a').first().getAttribute('href');
    assert.match(repo, /^#\/org\/demo-1\/sessions\?days=30&attr=repo%3D\w+$/);
    await expectAccessible(page, 'on the overview with breakdowns');

    // A team's overview has no breakdown (the API has none for a team).
    const { createTeam } = await server.gql(orgAdmin, 'mutation { createTeam(org: "demo-1", name: "Breakdown-less") { id } }');
    await page.goto(`${server.url}/#/org/demo-1/overview?days=30&team=${createTeam.id}`);
    await page.locator('main h1', { hasText: 'Team Breakdown-less' }).waitFor();
    await page.locator('main .empty, main .cards').first().waitFor();
    assert.equal(await page.locator('#breakdowns').count(), 0);
  });

  test('a model row opens the sessions that ran it, as many as the API counts', async () => {
    await keysReady();
    const page = await signedIn(browser, server, admin, '/org/demo-1/overview?days=30');
    const link = table(page, 'By model').locator('tbody th a').first();
    await link.waitFor();
    const model = (await link.textContent()).trim();
    await link.click();
    await page.waitForFunction(() => / in all$/.test(document.querySelector('main h1 small')?.textContent ?? ''));
    assert.equal(await page.locator('input[name="model"]').inputValue(), model);
    const { from, to } = last30();
    const range = { from: `${from}T00:00:00Z`, to: `${shift(to, 1)}T00:00:00Z` };
    const { org } = await server.gql(admin, 'query($f: SessionFilter) { org(slug: "demo-1") { sessions(filter: $f, first: 1) { totalCount } } }',
      { f: { model, range } });
    assert.ok(org.sessions.totalCount > 0);
    assert.equal(number(await page.locator('main h1 small').textContent()), org.sessions.totalCount, '"N in all" is the API’s count');
    const ids = await page.locator('table.sessions tbody td[data-label="Session"] .sid').allTextContents();
    assert.ok(ids.length > 0);
    const runs = await server.gql(admin, `{ org(slug: "demo-1") { ${ids.map((id, i) => `s${i}: session(id: ${JSON.stringify(id)}) { runs { model } }`).join(' ')} } }`);
    for (const [i, id] of ids.entries()) {
      assert.ok(runs.org[`s${i}`].runs.some((r) => r.model === model), `session ${id} has a run of ${model}`);
    }
  });

  test('a top user and a chart’s day open their sessions, by mouse and by keyboard', async () => {
    const page = await signedIn(browser, server, admin, '/org/demo-1/overview?days=30');
    const user = page.locator('section[aria-labelledby="top-users"] tbody tr').first();
    await user.waitFor();
    const sessions = user.locator('td[data-label="Sessions"] a');
    const href = await sessions.getAttribute('href');
    const id = new URLSearchParams(href.split('?')[1]).get('user');
    assert.ok(id);
    await sessions.click();
    await page.waitForFunction(() => / in all$/.test(document.querySelector('main h1 small')?.textContent ?? ''));
    assert.equal(await page.locator('input[name="user"]').inputValue(), id);
    const names = await page.locator('table.sessions tbody td[data-label="User"]').allTextContents();
    assert.equal(new Set(names).size, 1, 'only that user’s sessions');

    // Keyboard: focus the chart, step back a day, Tab to its link, Enter.
    await page.goto(`${server.url}/#/org/demo-1/overview?days=30`);
    const chart = page.locator('.chart', { hasText: 'Runs per day by outcome' });
    const plot = chart.locator('[role="img"]');
    await chartsDrawn(page);
    await plot.focus();
    await page.keyboard.press('ArrowLeft');
    const day = shift(today('UTC'), -1);
    const readout = chart.locator('.chart-note a');
    await until(async () => (await readout.count()) === 1 && (await readout.getAttribute('href')).includes(`from=${day}&to=${day}`), 'the readout of the day before today');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), await readout.textContent());
    await page.keyboard.press('Enter');
    await page.waitForFunction((d) => location.hash.startsWith('#/org/demo-1/sessions?') && location.hash.includes(`from=${d}&to=${d}`), day);
    await page.locator('main h1 small', { hasText: 'in all' }).waitFor();

    // Mouse: a click on the middle of the plot opens the day under the pointer.
    await page.goBack();
    await chartsDrawn(page);
    const over = page.locator('.chart', { hasText: 'Cost per day' }).locator('.u-over');
    const box = await over.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForFunction(() => /sessions\?.*from=(\d{4}-\d{2}-\d{2})&to=\1/.test(location.hash));
  });

  test('a one- or two-day range draws hourly points within those days, rates within 0–100 %', async () => {
    const day = shift(today('UTC'), -2);
    const page = await signedIn(browser, server, admin, `/org/demo-1/overview?from=${day}&to=${day}`);
    await page.locator('.chart', { hasText: 'Runs per hour by outcome' }).waitFor();
    await chartsDrawn(page);
    const start = Date.parse(`${day}T00:00:00Z`) / 1000;
    const charts = await page.locator('.chart').evaluateAll((all) => all.map((chart) => {
      const plot = chart.querySelector('[role="img"]').uplot;
      return { title: chart.querySelector('figcaption').textContent, x: plot.data[0], values: plot.data.slice(1), scale: { min: plot.scales.x.min, max: plot.scales.x.max }, y: { min: plot.scales.y.min, max: plot.scales.y.max } };
    }));
    const hourly = charts.filter((c) => / per hour/.test(c.title));
    assert.deepEqual(hourly.map((c) => c.title), ['Runs per hour by outcome', 'Success rate per hour (%)', 'Cost per hour (USD)', 'Cost per successful run per hour (USD)']);
    for (const c of charts) {
      assert.ok(c.scale.min >= start && c.scale.max <= start + 86_400, `${c.title}: the axis stays in ${day}`);
      assert.ok(c.x.every((x) => x > start && x < start + 86_400), `${c.title}: every point is in ${day}`);
    }
    for (const c of hourly) assert.equal(c.x.length, 24, `${c.title}: 24 hours`);
    const rate = charts.find((c) => c.title.startsWith('Success rate'));
    assert.deepEqual(rate.y, { min: 0, max: 100 });
    assert.ok(rate.values[0].some((v) => v != null), 'the day has hours with a rate');
    assert.ok(rate.values[0].every((v) => v == null || (v >= 0 && v <= 100)), 'every hourly rate is within 0–100 %');
    // The numbers are the API's hours.
    const runs = page.locator('.chart', { hasText: 'Runs per hour by outcome' });
    const shown = await (await numberRows(runs)).evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
    const { org } = await server.gql(admin, 'query($r: DateRange!) { org(slug: "demo-1") { overview(range: $r) { hourly { succeededRuns failedRuns } } } }', { r: { from: day, to: day } });
    assert.deepEqual(shown.map((r) => r[0]), Array.from({ length: 24 }, (_, h) => `${day} ${String(h).padStart(2, '0')}:00`));
    assert.deepEqual(shown.map((r) => [Number(r[1]), Number(r[2])]), org.overview.hourly.map((h) => [h.succeededRuns, h.failedRuns]));

    // Two days in New York: 48 hours of the org's clock, from midnight there.
    const from = shift(today('UTC'), -4);
    await page.goto(`${server.url}/#/org/demo-3/overview?from=${from}&to=${shift(from, 1)}`);
    const costChart = page.locator('.chart', { hasText: 'Cost per hour (USD)' });
    await until(async () => (await (await numberRows(costChart)).count()) === 48, '48 hours');
    const labels = (await numberRows(costChart)).locator('td:first-child');
    assert.equal(await labels.first().textContent(), `${from} 00:00`);
    assert.equal(await labels.last().textContent(), `${shift(from, 1)} 23:00`);
  });

  test('at 390 px no breakdown, top-users or runs table scrolls sideways and no text overlaps, in both themes', async () => {
    await keysReady();
    const { org } = await server.gql(admin, '{ org(slug: "demo-1") { sessions(first: 1, filter: { errorCategory: TOOL }) { edges { node { id } } } } }');
    const session = org.sessions.edges[0].node.id;
    for (const colorScheme of ['light', 'dark']) {
      const page = await signedIn(browser, server, admin, '/org/demo-1/overview?days=30', { colorScheme, viewport: { width: 390, height: 844 } });
      await table(page, 'By repo').locator('tbody tr').first().waitFor();
      await page.waitForFunction(() => document.documentElement.scrollWidth <= innerWidth, null, { timeout: 3_000 }).catch(() => {});
      assert.equal(await page.locator('table.breakdown').count(), 3);
      assert.deepEqual(await layoutProblems(page, 'table.breakdown, table.top-users'), [], `overview at 390 px, ${colorScheme}`);
      await expectAccessible(page, `on the overview at 390 px, ${colorScheme}`);
      await page.goto(`${server.url}/#/org/demo-1/sessions/${session}?days=30`);
      await page.locator('table.runs tbody tr').first().waitFor();
      assert.deepEqual(await layoutProblems(page, 'table.runs'), [], `session at 390 px, ${colorScheme}`);
      await expectAccessible(page, `on a session at 390 px, ${colorScheme}`);
      await page.context().close();
    }
  });

  test('a session leads with its repo, keeps its id, and shows a failed run’s error without a click', async () => {
    const { org } = await server.gql(admin, `{ org(slug: "demo-1") { sessions(first: 5, filter: { errorCategory: TOOL }) { edges { node {
      id attributes runs { id status errorCategory errorMessage } } } } } }`);
    const { node: session } = org.sessions.edges.find((e) => e.node.runs.some((r) => r.status === 'FAILED' && r.errorMessage));
    const failed = session.runs.find((r) => r.status === 'FAILED' && r.errorMessage);
    const page = await signedIn(browser, server, admin, `/org/demo-1/sessions/${session.id}?days=30`);
    const heading = page.getByRole('heading', { level: 1 });
    await page.locator('table.runs tbody tr').first().waitFor();
    const title = await heading.textContent();
    assert.ok(title.startsWith(session.attributes.repo), `the heading leads with the repo: ${title}`);
    assert.ok(title.includes(session.id), 'and keeps the id');
    const row = page.locator('table.runs tbody tr', { has: page.locator(`summary[title="${failed.id}"]`) });
    const error = row.locator('td[data-label="Error"]');
    assert.ok(await error.isVisible());
    assert.equal((await error.textContent()).trim(), `${failed.errorCategory}: ${failed.errorMessage}`);
    assert.equal(await page.locator('details[open]').count(), 0, 'nothing was opened');
    // A run that did not fail has no error.
    const ok = session.runs.find((r) => r.status === 'SUCCEEDED');
    if (ok) assert.equal(await page.locator('table.runs tbody tr', { has: page.locator(`summary[title="${ok.id}"]`) }).locator('td[data-label="Error"]').textContent(), '');
  });
});

// What a manager checks before trusting the dashboard: charts of a one-day
// range stay in that day and rates in 0–100 %; no change is claimed against
// a previous period without data, nor for a short range of today, which is
// not over; phones show every figure without
// sideways scrolling or overlapping text; sorting, natural name order,
// filter messages, figure definitions; GraphiQL keeps one tab and its token.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { withDashboard } from './suite.js';
import { card, change, chartsDrawn, expectAccessible, newPage, number, shift, signedIn, today, until } from './browser.js';
import { layoutProblems } from './layout.js';

let server;
let browser;
let admin;
let manager;

withDashboard((s, b) => {
  [server, browser] = [s, b];
  admin = server.token('SUPER_ADMIN', { sub: 'demo-admin' });
  manager = server.token('MANAGER', { org: 'demo-1', sub: 'a-manager' });
});

/** The x and y scales of every chart on the page, from uPlot, with the chart's title. */
const scales = (page) => page.locator('.chart').evaluateAll((charts) => charts.map((chart) => {
  const plot = chart.querySelector('[role="img"]').uplot;
  return { title: chart.querySelector('figcaption').textContent, x: { min: plot.scales.x.min, max: plot.scales.x.max }, y: { min: plot.scales.y.min, max: plot.scales.y.max } };
}));

describe('figures that do not mislead', () => {
  test('a one-day range draws its charts within that day, rates within 0–100 %, areas from zero', async () => {
    const day = shift(today('UTC'), -2);
    const page = await signedIn(browser, server, admin, `/org/demo-1/overview?from=${day}&to=${day}`);
    await page.locator('.chart').first().waitFor();
    await chartsDrawn(page);
    const start = Date.parse(`${day}T00:00:00Z`) / 1000;
    const charts = await scales(page);
    assert.equal(charts.length, 7);
    for (const { title, x, y } of charts) {
      assert.ok(x.min >= start && x.max <= start + 86_400 && x.max > x.min, `${title}: x from ${new Date(x.min * 1000).toISOString()} to ${new Date(x.max * 1000).toISOString()}`);
      assert.equal(y.min, 0, `${title} starts at zero`);
    }
    const rate = charts.find((c) => c.title.startsWith('Success rate'));
    assert.deepEqual(rate.y, { min: 0, max: 100 }, 'the success rate axis is 0–100 %');
    // A day in the past is not partial; today would be.
    assert.equal(await page.locator('.chart .partial-note').count(), 0);

    // Over 30 days, today is marked as partial and the rate axis is still 0–100 %.
    await page.goto(`${server.url}/#/org/demo-1/overview?days=30`);
    await page.locator('.chart .partial-note').first().waitFor();
    await chartsDrawn(page);
    const month = await scales(page);
    assert.equal(month.length, 7);
    assert.deepEqual(month.find((c) => c.title.startsWith('Success rate')).y, { min: 0, max: 100 });
    const first = Date.parse(`${shift(today('UTC'), -29)}T00:00:00Z`) / 1000;
    assert.ok(month.every((c) => c.x.min === first && c.x.max === first + 30 * 86_400), 'the x axis spans exactly the 30 days');

    // Hovering a chart shows the day's values in its legend.
    const plot = page.locator('.chart', { hasText: 'Cost per day' }).locator('.u-over');
    const box = await plot.boundingBox();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    const legend = page.locator('.chart', { hasText: 'Cost per day' }).locator('.u-legend .u-series').nth(1).locator('.u-value');
    await until(async () => /^\$\d/.test(await legend.textContent()), 'the hovered cost in the legend');
  });

  test('a range whose previous period has no data shows no percentage change', async () => {
    // The demo holds 90 days: the 90 before them are empty.
    const page = await signedIn(browser, server, admin, '/org/demo-1/overview?days=90');
    await page.locator('.card').first().waitFor();
    for (const label of ['Active users', 'Sessions', 'Runs', 'Success rate', 'Cost']) {
      const shown = await change(page, label);
      assert.equal(shown.text, null, `${label} shows no change`);
      assert.doesNotMatch(shown.line, /%|pts/, `${label}: ${shown.line}`);
      assert.match(shown.line, /not enough data in the previous 90 d/i);
    }
    // With the previous 30 days full of data, the change is there with its label.
    await page.goto(`${server.url}/#/org/demo-1/overview?days=30`);
    await page.waitForFunction(() => document.querySelector('.card .change .delta'));
    assert.match((await change(page, 'Runs')).line, /^(▲|▼|no change).* incl\. today so far, vs previous 30 d$/);
  });

  test('a one-day range of today shows no percentage change, and says why', async () => {
    const day = today('UTC');
    // Just after midnight the demo has nothing today yet: a session now makes sure the day has figures
    // (with a repo, as the demo's sessions have: it leads the sessions list afterwards).
    const session = `today-${randomUUID()}`;
    const at = new Date().toISOString();
    const { ingestEvents } = await server.gql(server.ingestToken(),
      'mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted } }',
      { e: [{ eventId: randomUUID(), org: 'demo-1', type: 'SESSION_STARTED', occurredAt: at, sessionId: session, userId: 'today-user', attributes: { repo: 'today' } }] });
    assert.equal(ingestEvents.accepted, 1);
    await until(async () => {
      const { org } = await server.gql(admin, 'query($r: DateRange!) { org(slug: "demo-1") { overview(range: $r) { kpis { sessions } } } }', { r: { from: day, to: day } });
      return org.overview.kpis.sessions > 0;
    }, 'today\'s session to be projected');
    const page = await signedIn(browser, server, admin, `/org/demo-1/overview?from=${day}&to=${day}`);
    await page.locator('.card').first().waitFor();
    for (const label of ['Active users', 'Runs', 'Success rate', 'Cost']) {
      const shown = await change(page, label);
      assert.equal(shown.text, null, `${label} shows no change`);
      assert.doesNotMatch(shown.line, /%|pts/, `${label}: ${shown.line}`);
      assert.match(shown.line, /today is not over/, `${label}: ${shown.line}`);
    }
  });

  test('at 390 px no table scrolls sideways and no text overlaps, in both themes', async () => {
    const pages = [
      ['sessions', '/org/demo-1/sessions?days=30', 'main table'],
      ['users', '/org/demo-1/users?days=30', 'main table'],
      ['overview', '/org/demo-1/overview?days=30', 'main table'],
    ];
    for (const colorScheme of ['light', 'dark']) {
      for (const [name, path, tables] of pages) {
        const page = await signedIn(browser, server, admin, path, { colorScheme, viewport: { width: 390, height: 844 } });
        await page.locator('main tbody tr').first().waitFor();
        await page.waitForFunction(() => document.documentElement.scrollWidth <= innerWidth, null, { timeout: 3_000 }).catch(() => {});
        assert.deepEqual(await layoutProblems(page, tables), [], `${name} at 390 px, ${colorScheme}`);
        if (name === 'users') {
          // The users' cards still show cost and success rate.
          const first = page.locator('main tbody tr').first();
          assert.ok(await first.locator('td[data-label="Cost"]').isVisible());
          assert.ok(await first.locator('td[data-label="Success rate"]').isVisible());
        }
        await expectAccessible(page, `on ${name} at 390 px, ${colorScheme}`);
        await page.context().close();
      }
    }
    // At 1280 px the sessions table fits without scrolling either.
    const wide = await signedIn(browser, server, admin, '/org/demo-1/sessions?days=30', { viewport: { width: 1280, height: 900 } });
    await wide.locator('main tbody tr').first().waitFor();
    assert.deepEqual(await layoutProblems(wide, 'table.sessions'), [], 'sessions at 1280 px');
    // A row leads with the session's repo, and says whether it is live.
    const session = wide.locator('table.sessions tbody tr').first();
    assert.match(await session.locator('td[data-label="Session"] .repo').textContent(), /^\w+$/);
    assert.match(await session.locator('td[data-label="Status"]').textContent(), /^(live|ended)/);
  });

  test('sorting by cost orders the users by cost; names sort naturally; indicators show', async () => {
    const page = await signedIn(browser, server, manager, '/org/demo-1/users?days=30');
    await page.locator('tbody tr').first().waitFor();
    const costs = () => page.locator('tbody td[data-label="Cost"]').allTextContents().then((all) => all.map(number));
    await page.locator('thead').getByRole('link', { name: 'Cost', exact: true }).click();
    const header = page.locator('th', { hasText: 'Cost' });
    await page.locator('th[aria-sort="descending"]', { hasText: 'Cost' }).waitFor();
    assert.match(await header.textContent(), /Cost ▼/);
    const down = await costs();
    assert.ok(down.length > 1);
    assert.deepEqual(down, [...down].sort((a, b) => b - a), 'most expensive first');
    await page.locator('thead').getByRole('link', { name: 'Cost', exact: true }).click();
    await page.locator('th[aria-sort="ascending"]', { hasText: 'Cost' }).waitFor();
    assert.match(await header.textContent(), /Cost ▲/);
    const up = await costs();
    assert.deepEqual(up, [...up].sort((a, b) => a - b), 'cheapest first');
    // Figures are right-aligned.
    assert.equal(await page.locator('tbody td[data-label="Cost"]').first().evaluate((td) => getComputedStyle(td).textAlign), 'right');

    await page.locator('thead').getByRole('link', { name: 'User', exact: true }).click();
    await page.locator('th[aria-sort="ascending"]', { hasText: 'User' }).waitFor();
    const names = await page.locator('tbody td[data-label="User"]').allTextContents();
    const natural = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
    assert.deepEqual(names, [...names].sort(natural.compare), 'names in natural order (Ada 1, Ada 2, Ada 11)');
    assert.ok(names.some((n) => /\d{2}$/.test(n)) && names.some((n) => / \d$/.test(n)), 'the demo has one- and two-digit names');
  });

  test('a filter that is not valid says so next to its control', async () => {
    const page = await signedIn(browser, server, manager, '/org/demo-1/sessions?days=30');
    await page.locator('table.sessions tbody tr').first().waitFor();
    const all = await page.locator('h1 small').textContent();
    await page.getByLabel('Attribute').fill('repo');
    await page.getByLabel('Attribute').press('Tab');
    const message = page.locator('#attr-error');
    await message.waitFor();
    assert.match(await message.textContent(), /key=value/);
    assert.equal(await page.getByLabel('Attribute').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('Attribute').getAttribute('aria-describedby'), 'attr-error');
    assert.equal(await page.locator('h1 small').textContent(), all, 'the filter is not applied');
    await expectAccessible(page, 'with a filter message');

    // A handedOff that is neither yes nor no, from a link.
    await page.goto(`${server.url}/#/org/demo-1/sessions?days=30&handedOff=maybe`);
    await page.locator('#handedOff-error').waitFor();

    // A "to" before "from" in the range is not applied and says why.
    await page.getByLabel('Range').selectOption('custom');
    await page.getByLabel('From', { exact: true }).waitFor();
    const hash = await page.evaluate(() => location.hash);
    const from = await page.getByLabel('From', { exact: true }).inputValue();
    await page.getByLabel('To', { exact: true }).fill(shift(from, -3));
    await page.locator('#range-error', { hasText: /before “From”/ }).waitFor();
    assert.equal(await page.evaluate(() => location.hash), hash, 'the range stays');

    // A range in a link that is not valid says what is shown instead.
    await page.goto(`${server.url}/#/org/demo-1/overview?from=2026-05-10&to=2026-05-01`);
    await page.locator('#range-error', { hasText: /before it starts/ }).waitFor();
  });

  test('figures say what they count: definitions on hover and focus, denominators, MEMBER scope', async () => {
    const page = await signedIn(browser, server, admin, '/org/demo-1/overview?days=30');
    await page.locator('.card').first().waitFor();
    const { org } = await server.gql(admin, `query($r: DateRange!) { org(slug: "demo-1") { overview(range: $r) { kpis { succeededRuns failedRuns } } } }`,
      { r: { from: shift(today('UTC'), -29), to: today('UTC') } });
    const k = org.overview.kpis;
    const rate = page.locator('.card', { has: page.locator('.label', { hasText: /^Success rate$/ }) });
    assert.match(await rate.getAttribute('title'), new RegExp(`${k.succeededRuns.toLocaleString('en-US')} of ${(k.succeededRuns + k.failedRuns).toLocaleString('en-US')} finished runs`));
    for (const label of ['Active users', 'Sessions', 'Runs', 'Cost', 'Tokens', 'p95 run duration', 'Local handoff rate', 'Iteration after handoff']) {
      const one = page.locator('.card', { has: page.locator('.label', { hasText: new RegExp(`^${label}$`) }) });
      const described = await one.evaluate((el) => document.getElementById(el.getAttribute('aria-describedby'))?.textContent ?? '');
      assert.ok(described.length > 20 && (await one.getAttribute('title')) === described, `${label} has a definition`);
    }
    // Keyboard focus shows the definition.
    await rate.focus();
    await rate.locator('.definition').waitFor({ state: 'visible' });
    assert.match(await page.locator('main .hint').first().textContent(), /Sessions count on the day they started/);

    // The header links to GraphiQL; both pages have the favicon.
    assert.equal(await page.getByRole('link', { name: 'GraphiQL' }).getAttribute('href'), '/graphiql');
    assert.equal(await page.locator('link[rel="icon"]').getAttribute('href'), '/favicon.svg');

    // The sessions list says it counts sessions with any activity.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Sessions' }).click();
    await page.locator('main .hint', { hasText: 'any activity' }).waitFor();

    // A MEMBER is told the overview is the org's; "Me" is marked current on their own page.
    const { org: users } = await server.gql(admin, '{ org(slug: "demo-1") { users(range: {from: "2020-01-01", to: "2030-01-01"}, first: 1) { edges { node { user { id } } } } } }');
    const id = users.users.edges[0].node.user.id;
    const member = await signedIn(browser, server, server.token('MEMBER', { org: 'demo-1', sub: id }), '/org/demo-1/overview?days=30');
    await member.locator('main .notice', { hasText: 'whole of' }).waitFor();
    assert.equal(await member.getByRole('link', { name: 'Me', exact: true }).getAttribute('aria-current'), null);
    await member.getByRole('link', { name: 'Me', exact: true }).click();
    await member.getByRole('heading', { level: 1 }).waitFor();
    await until(async () => (await member.getByRole('link', { name: 'Me', exact: true }).getAttribute('aria-current')) === 'page', '"Me" marked current');
    // Their Sessions card is their own count over the range the page shows.
    assert.match(await member.evaluate(() => location.hash), /days=30/);
    const [from, to] = [shift(today('UTC'), -29), today('UTC')];
    const { org: mine } = await server.gql(admin, `query($id: String!, $r: DateRange!) { org(slug: "demo-1") {
      user(id: $id) { stats(range: $r) { sessions } } } }`, { id, r: { from, to } });
    assert.equal(number(await card(member, 'Sessions')), mine.user.stats.sessions);
  });

  test('GraphiQL keeps one tab across visits and the linked token for the session', async () => {
    const page = await newPage(browser);
    // GraphiQL stores its tabs half a second after a change (a 500 ms debounce). Each load records
    // the tab counts stored from such a timer, so a visit is judged on the tabs it stored itself, not on
    // those left by the visit before (nor on GraphiQL rewriting those at start without their headers).
    await page.addInitScript(() => {
      window.storedTabs = [];
      let debounced = false;
      const setTimeout = window.setTimeout;
      window.setTimeout = function (handler, delay, ...rest) {
        if (delay !== 500 || typeof handler !== 'function') return setTimeout.call(this, handler, delay, ...rest);
        return setTimeout.call(this, function (...args) {
          debounced = true;
          try {
            return handler.apply(this, args);
          } finally {
            debounced = false;
          }
        }, delay, ...rest);
      };
      const setItem = Storage.prototype.setItem;
      Storage.prototype.setItem = function (key, value) {
        if (debounced && this === window.localStorage && key === 'graphiql:tabState') window.storedTabs.push(JSON.parse(value).tabs.length);
        return setItem.call(this, key, value);
      };
    });
    const tabs = () => page.evaluate(() => JSON.parse(localStorage.getItem('graphiql:tabState') ?? '{"tabs":[]}').tabs.length);
    /** The number of tabs this load stored, once it has stored them. */
    const storedByThisLoad = async () => {
      await page.waitForFunction(() => window.storedTabs.length > 0);
      return page.evaluate(() => window.storedTabs.at(-1));
    };
    await page.goto(`${server.url}/graphiql#token=${encodeURIComponent(admin)}`);
    await page.locator('.graphiql-container').waitFor();
    assert.equal(await page.evaluate(() => location.hash), '', 'the token leaves the address');
    assert.equal(await page.locator('link[rel="icon"]').getAttribute('href'), '/favicon.svg');
    assert.equal(await storedByThisLoad(), 1, 'one tab stored on the first visit');
    assert.equal(await tabs(), 1);
    for (let visit = 0; visit < 2; visit += 1) {
      await page.goto(`${server.url}/graphiql`);
      await page.locator('.graphiql-container').waitFor();
      assert.equal(await storedByThisLoad(), 1, `one tab stored on visit ${visit + 2}`);
      assert.equal(await tabs(), 1, `one tab on visit ${visit + 2}`);
      assert.equal(await page.locator('.graphiql-tab').count(), 0, 'no tab bar, no "<untitled>" tab');
    }
    // The token from the link still signs the queries.
    await page.locator('.graphiql-execute-button').click();
    await page.locator('.result-window').getByText('"SUPER_ADMIN"').waitFor();
  });
});

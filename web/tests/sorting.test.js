// The sessions page ordered by the server: header buttons and the URL set
// the order, Load more continues in it; the run status filter; what in the
// URL is not valid said next to its control; user suggestions as the
// manager types; the cards and the order select at phone width.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { withDashboard } from './suite.js';
import { expectAccessible, number, signedIn } from './browser.js';
import { layoutProblems } from './layout.js';

let server;
let browser;
let manager;
let member;

withDashboard((s, b) => {
  [server, browser] = [s, b];
  manager = server.token('MANAGER', { org: 'demo-1', sub: 'a-manager' });
  member = server.token('MEMBER', { org: 'demo-1', sub: 'user-003' });
});

// A range that holds all the demo traffic; the org's time zone is UTC.
const ALL = 'from=2020-01-01&to=2029-01-01';
const RANGE = { from: '2020-01-01T00:00:00.000Z', to: '2029-01-02T00:00:00.000Z' };

const rows = (page) => page.locator('table.sessions tbody tr');
const sessionIds = (page) => page.locator('table.sessions tbody tr td[data-label="Session"] .sid').allTextContents();
const costs = async (page) => (await page.locator('table.sessions tbody tr td[data-label="Cost"]').allTextContents()).map(number);
const total = async (page) => number(await page.locator('h1 small').textContent());

/** The demo-1 sessions of `filter` (within RANGE) in `order`, from the API: `{ totalCount, ids }`. */
async function api(filter = {}, order = null, first = 50) {
  const { org } = await server.gql(manager, `query($f: SessionFilter, $o: SessionOrder, $n: Int) { org(slug: "demo-1") {
    sessions(filter: $f, first: $n, orderBy: $o) { totalCount edges { node { id } } } } }`, { f: { range: RANGE, ...filter }, o: order, n: first });
  return { totalCount: org.sessions.totalCount, ids: org.sessions.edges.map((e) => e.node.id) };
}

/** Waits until the table lists exactly `ids`, in that order. */
const idsAre = (page, ids) => page.waitForFunction((want) => JSON.stringify([...document.querySelectorAll('table.sessions tbody td[data-label="Session"] .sid')]
  .map((el) => el.textContent)) === JSON.stringify(want), ids);

const ordered = (values, direction) => values.every((v, i) => i === 0 || (direction === 'ASC' ? values[i - 1] <= v : values[i - 1] >= v));

describe('ordering the sessions', () => {
  test('a Cost header orders by cost as the server does, a second click turns it around, Load more continues in order', async () => {
    const page = await signedIn(browser, server, manager, `/org/demo-1/sessions?${ALL}`);
    await rows(page).first().waitFor();
    assert.match(await page.locator('p.hint').textContent(), /latest activity first/);
    assert.equal(await page.locator('th[aria-sort]').count(), 1, 'one column says the order');
    const sortedBy = (dir) => page.locator(`th[aria-sort="${dir}"]`).evaluate((th) => th.textContent.replace(/\s+/g, ''));
    assert.equal(await sortedBy('descending'), 'Last activity▼started↕'.replace(/\s+/g, ''));

    const desc = await api({}, { field: 'COST', direction: 'DESC' });
    await page.locator('thead').getByRole('button', { name: 'Cost' }).click();
    await idsAre(page, desc.ids.slice(0, 25));
    assert.match(await page.evaluate(() => location.hash), /sort=COST&dir=DESC/);
    assert.equal(await sortedBy('descending'), 'Cost▼');
    assert.ok(ordered(await costs(page), 'DESC'), `costs shown, highest first: ${await costs(page)}`);
    assert.match(await page.locator('p.hint').textContent(), /highest cost first/);

    const asc = await api({}, { field: 'COST', direction: 'ASC' });
    await page.locator('thead').getByRole('button', { name: 'Cost' }).click();
    await idsAre(page, asc.ids.slice(0, 25));
    assert.match(await page.evaluate(() => location.hash), /sort=COST&dir=ASC/);
    assert.equal(await sortedBy('ascending'), 'Cost▲');
    assert.match(await page.locator('p.hint').textContent(), /lowest cost first/);

    await page.getByRole('button', { name: /^Load more/ }).click();
    await idsAre(page, asc.ids.slice(0, 50));
    const shown = await sessionIds(page);
    assert.equal(new Set(shown).size, 50, 'no session twice');
    assert.ok(ordered(await costs(page), 'ASC'), 'still lowest cost first after Load more');

    // A link keeps the order.
    await page.reload();
    await idsAre(page, asc.ids.slice(0, 25));
    await expectAccessible(page, 'on the sessions ordered by cost');
  });

  test('every field the API orders by has its header, in both directions', async () => {
    const page = await signedIn(browser, server, manager, `/org/demo-1/sessions?${ALL}`);
    await rows(page).first().waitFor();
    for (const [name, field] of [['started', 'STARTED'], ['Runs', 'RUNS'], ['Failed', 'FAILED_RUNS'], ['Messages', 'MESSAGES'], ['Active', 'ACTIVE_TIME']]) {
      const button = page.locator('thead').getByRole('button', { name, exact: true });
      await button.click();
      await idsAre(page, (await api({}, { field, direction: 'DESC' }, 25)).ids);
      await button.click();
      await idsAre(page, (await api({}, { field, direction: 'ASC' }, 25)).ids);
    }
    await page.locator('thead').getByRole('button', { name: 'Runs', exact: true }).click();
    await idsAre(page, (await api({}, { field: 'RUNS', direction: 'DESC' }, 25)).ids);
    const runs = (await page.locator('td[data-label="Runs"]').allTextContents()).map(number);
    assert.ok(ordered(runs, 'DESC'), `runs, most first: ${runs}`);
  });

  test('the run status filter lists the sessions with a run of that status, as many as the API counts, and exports them', async () => {
    const page = await signedIn(browser, server, manager, `/org/demo-1/sessions?${ALL}`);
    await rows(page).first().waitFor();
    const all = await total(page);
    const failed = await api({ runStatus: 'FAILED' });
    assert.ok(failed.totalCount > 0 && failed.totalCount < all, 'the demo has sessions with and without failed runs');
    await page.getByLabel('Run status').selectOption('FAILED');
    await page.waitForFunction((n) => document.querySelector('h1 small')?.textContent === `${n.toLocaleString('en-US')} in all`, failed.totalCount);
    assert.match(await page.evaluate(() => location.hash), /status=FAILED/);
    await idsAre(page, failed.ids.slice(0, 25));

    // Every session listed has a failed run, by the API's own account of its runs.
    const ids = await sessionIds(page);
    const fields = ids.map((id, i) => `s${i}: session(id: ${JSON.stringify(id)}) { runs { status } }`).join(' ');
    const { org } = await server.gql(manager, `{ org(slug: "demo-1") { ${fields} } }`);
    assert.ok(ids.every((_, i) => org[`s${i}`].runs.some((r) => r.status === 'FAILED')), 'every listed session has a failed run');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const lines = (await readFile(await download.path(), 'utf8')).trim().split('\n');
    assert.equal(lines.length - 1, failed.totalCount, 'the export has the run status filter too');
  });

  test('a sort, direction or run status in the URL that is not valid is said next to its control, and not applied', async () => {
    const page = await signedIn(browser, server, manager, `/org/demo-1/sessions?${ALL}&sort=PRICE&status=DONE`);
    await rows(page).first().waitFor();
    const sortError = page.locator('#sort-error');
    const statusError = page.locator('#status-error');
    assert.match(await sortError.textContent(), /“PRICE” is not an order of this list.*showing latest activity first/);
    assert.match(await statusError.textContent(), /“DONE” is not a run status/);
    for (const [control, message] of [[page.getByLabel('Order'), sortError], [page.getByLabel('Run status'), statusError]]) {
      assert.equal(await control.getAttribute('aria-invalid'), 'true');
      assert.equal(await control.getAttribute('aria-describedby'), await message.getAttribute('id'));
      const [c, m] = [await control.boundingBox(), await message.boundingBox()];
      assert.ok(c && m, 'the control and its message are shown');
      assert.ok(m.y >= c.y + c.height - 1 && m.y - (c.y + c.height) < 12, 'the message is right under its control');
      assert.ok(m.x < c.x + c.width && m.x + m.width > c.x - 120, 'the message lines up with its control');
    }
    assert.equal(await total(page), (await api()).totalCount, 'neither applies');
    await idsAre(page, (await api({}, null, 25)).ids);
    await expectAccessible(page, 'with invalid filters');

    await page.goto(`${server.url}/#/org/demo-1/sessions?${ALL}&sort=cost&dir=sideways&token=${encodeURIComponent(manager)}`);
    await page.getByText('“sideways” is neither ASC nor DESC').waitFor();
    // Choosing an order from the select makes it valid.
    await page.getByLabel('Order').selectOption('COST:ASC');
    await page.waitForFunction(() => /sort=COST&dir=ASC/.test(location.hash));
    await page.locator('#sort-error').waitFor({ state: 'detached' });
    assert.equal(await page.getByLabel('Order').isVisible(), false, 'at desktop width the headers order the list');
  });
});

describe('user suggestions', () => {
  test('typing part of a name suggests matching users; choosing one by keyboard filters to their sessions', async () => {
    const page = await signedIn(browser, server, manager, `/org/demo-1/sessions?${ALL}`);
    await rows(page).first().waitFor();
    const { org } = await server.gql(manager, '{ org(slug: "demo-1") { userSearch(text: "barb", first: 10) { id name } } }');
    assert.ok(org.userSearch.length > 0, 'the demo has a Barbara');
    const field = page.getByRole('combobox', { name: 'User', exact: true });
    await field.pressSequentially('barb');
    const options = page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option');
    await options.first().waitFor();
    assert.equal(await field.getAttribute('aria-expanded'), 'true');
    assert.deepEqual((await options.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim()), org.userSearch.map((u) => `${u.name} ${u.id}`));
    await expectAccessible(page, 'with the suggestions open');

    await field.press('ArrowDown');
    await field.press('ArrowDown');
    const chosen = org.userSearch[Math.min(1, org.userSearch.length - 1)];
    assert.equal(await field.getAttribute('aria-activedescendant'), await options.nth(Math.min(1, org.userSearch.length - 1)).getAttribute('id'));
    await field.press('Enter');
    await page.waitForFunction((id) => location.hash.includes(`user=${id}`), chosen.id);
    const mine = await api({ userId: chosen.id });
    await page.waitForFunction((n) => document.querySelector('h1 small')?.textContent === `${n.toLocaleString('en-US')} in all`, mine.totalCount);
    assert.deepEqual([...new Set(await page.locator('td[data-label="User"]').allTextContents())], [chosen.name]);
    assert.equal(await field.inputValue(), chosen.id);
    assert.equal(await field.getAttribute('aria-expanded'), 'false');

    // A click chooses too.
    await field.fill('');
    await field.pressSequentially('Ada');
    await page.getByRole('option', { name: /^Ada 1 user-001$/ }).click();
    await page.waitForFunction(() => location.hash.includes('user=user-001'));

    // A text no user matches says so, and applies as an exact id.
    await field.fill('');
    await field.pressSequentially('nobody-at-all');
    await page.getByText('No user matches “nobody-at-all”; the list shows sessions of a user id exactly as typed.').waitFor();
    await field.press('Tab');
    await page.waitForFunction(() => location.hash.includes('user=nobody-at-all'));
    await page.getByText('No session matches these filters').waitFor();
    assert.equal(await field.getAttribute('aria-describedby'), 'user-note');
  });

  test('a MEMBER gets a plain User field, without the search', async () => {
    const page = await signedIn(browser, server, member, '/org/demo-1/sessions?days=90');
    await page.locator('h1 small', { hasText: 'in all' }).waitFor();
    const field = page.getByLabel('User');
    assert.equal(await field.getAttribute('role'), null);
    // The page counts the user searches it sends.
    await page.evaluate(() => {
      window.searches = 0;
      const send = window.fetch;
      window.fetch = (...args) => {
        if (String(args[1]?.body).includes('userSearch')) window.searches += 1;
        return send(...args);
      };
    });
    await field.pressSequentially('ada');
    assert.equal(await field.inputValue(), 'ada');
    // A search would start PAUSE_MS after the last key; a timer of that length started after the last
    // key runs after it (timers of equal delay run in order), so by then a search would have been sent.
    const [, pause] = (await readFile(new URL('../app/user-search.js', import.meta.url), 'utf8')).match(/const PAUSE_MS = (\d+);/) ?? [];
    assert.ok(Number(pause) > 0, 'user-search.js says how long typing pauses before a search');
    await page.evaluate((ms) => new Promise((done) => setTimeout(done, ms)), Number(pause));
    assert.equal(await page.evaluate(() => window.searches), 0, 'no user search sent');
    assert.equal(await page.getByRole('listbox').count(), 0);
    assert.equal(await page.locator('.error').count(), 0, 'no FORBIDDEN search');
  });
});

describe('sessions at phone width', () => {
  test('at 390 px in both themes: cards that neither scroll sideways nor overlap, and an order select', async () => {
    for (const colorScheme of ['light', 'dark']) {
      const page = await signedIn(browser, server, manager, `/org/demo-1/sessions?${ALL}&sort=COST&dir=DESC`, { colorScheme, viewport: { width: 390, height: 844 } });
      await rows(page).first().waitFor();
      assert.deepEqual(await layoutProblems(page, 'table.sessions'), [], `sessions at 390 px, ${colorScheme}`);
      const order = page.getByLabel('Order');
      assert.equal(await order.inputValue(), 'COST:DESC');
      await order.selectOption('COST:ASC');
      await idsAre(page, (await api({}, { field: 'COST', direction: 'ASC' }, 25)).ids);
      // The filters stay inside the screen, the suggestions too.
      const field = page.getByRole('combobox', { name: 'User', exact: true });
      await field.pressSequentially('a');
      await page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option').first().waitFor();
      const outside = await page.evaluate(() => [...document.querySelectorAll('.filters input, .filters select, .filters button, .suggestions')]
        .filter((el) => el.getBoundingClientRect().right > innerWidth || el.getBoundingClientRect().left < 0).map((el) => el.name || el.className));
      assert.deepEqual(outside, [], `controls outside the screen, ${colorScheme}`);
      assert.deepEqual(await layoutProblems(page, 'table.sessions'), [], `with the suggestions open, ${colorScheme}`);
      await expectAccessible(page, `on the sessions at 390 px, ${colorScheme}`);
    }
  });
});

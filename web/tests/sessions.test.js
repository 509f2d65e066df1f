// The sessions page: filters narrow the table, new events show up without
// reloading, the CSV exports download the current filter; keyboard shortcuts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { withDashboard } from './suite.js';
import { expectAccessible, number, signedIn, until } from './browser.js';

let server;
let browser;
let manager;

withDashboard((s, b) => {
  [server, browser] = [s, b];
  manager = server.token('MANAGER', { org: 'demo-1', sub: 'a-manager' });
});

// Columns of the sessions table, by their labels; a session's id is in its .sid.
const USER = 'User';
const MESSAGES = 'Messages';
const HANDOFF = 'Handoff';
const ATTRIBUTES = 'Attributes';

const rows = (page) => page.locator('table.sessions tbody tr');
const column = (page, label) => page.locator(`table.sessions tbody tr td[data-label="${label}"]`).allTextContents();
const sessionIds = (page) => page.locator('table.sessions tbody tr td[data-label="Session"] .sid').allTextContents();
const total = async (page) => number(await page.locator('h1 small').textContent());

/** Waits until the table has loaded a total other than `before`; returns it. */
async function totalChanges(page, before) {
  await page.waitForFunction((n) => {
    const text = document.querySelector('h1 small')?.textContent ?? '';
    return /in all$/.test(text) && Number(text.replace(/[^0-9]/g, '')) !== n;
  }, before);
  return total(page);
}

/** Waits until the heading says `n` sessions. */
const totalIs = (page, n) => page.waitForFunction((want) => document.querySelector('h1 small')?.textContent === want, `${n.toLocaleString('en-US')} in all`);

async function ingest(events) {
  const { ingestEvents } = await server.gql(server.ingestToken(),
    'mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted rejected { message } } }', { e: events });
  assert.equal(ingestEvents.accepted, events.length, JSON.stringify(ingestEvents.rejected));
}

const event = (type, sessionId, extra = {}) => ({
  eventId: randomUUID(), org: 'demo-1', type, occurredAt: new Date().toISOString(), sessionId, userId: 'live-user', ...extra,
});

/** The number of demo-1 sessions matching `filter` over all time, from the API. */
async function apiTotal(filter) {
  const { org } = await server.gql(manager, 'query($f: SessionFilter) { org(slug: "demo-1") { sessions(filter: $f, first: 1) { totalCount } } }', { f: filter });
  return org.sessions.totalCount;
}

describe('sessions page', () => {
  test('each filter narrows the table to what the API counts, and lives in the URL', async () => {
    // A range that holds all the demo traffic, so the API's count needs no range.
    const page = await signedIn(browser, server, manager, '/org/demo-1/sessions?from=2020-01-01&to=2029-01-01');
    await rows(page).first().waitFor();
    const all = await total(page);
    assert.equal(all, await apiTotal(null));

    await page.getByLabel('Handed off').selectOption('true');
    const handedOff = await totalChanges(page, all);
    assert.equal(handedOff, await apiTotal({ handedOff: true }));
    assert.ok(handedOff > 0 && handedOff < all);
    const handoffs = await column(page, HANDOFF);
    assert.ok(handoffs.length > 0 && handoffs.every((cell) => cell.startsWith('local')), handoffs.join());
    assert.match(await page.evaluate(() => location.hash), /handedOff=true/);

    await page.getByLabel('Handed off').selectOption('false');
    assert.equal(await totalChanges(page, handedOff), all - handedOff);
    await page.getByLabel('Handed off').selectOption('true');
    await totalIs(page, handedOff);

    const userName = (await column(page, USER))[0];
    const userId = new URL(await page.locator('table.sessions tbody tr td:nth-child(2) a').first().evaluate((a) => a.href)).hash.split('?')[0].split('/').pop();
    await page.getByLabel('User').fill(userId);
    await page.getByLabel('User').press('Tab');
    const mine = await totalChanges(page, handedOff);
    assert.equal(mine, await apiTotal({ handedOff: true, userId }));
    assert.deepEqual([...new Set(await column(page, USER))], [userName]);

    await page.reload();
    await rows(page).first().waitFor();
    assert.equal(await total(page), mine, 'a reload keeps the filters');

    await page.getByLabel('Handed off').selectOption('');
    await totalChanges(page, mine);
    await page.getByLabel('User').fill('');
    await page.getByLabel('User').press('Tab');
    await totalIs(page, all);
    const repo = (await column(page, ATTRIBUTES))[0].split(' ').find((a) => a.startsWith('repo='));
    await page.getByLabel('Attribute').fill(repo);
    await page.getByLabel('Attribute').press('Tab');
    const inRepo = await totalChanges(page, all);
    assert.equal(inRepo, await apiTotal({ attributes: [{ key: 'repo', equals: repo.slice(5) }] }));
    const cells = await column(page, ATTRIBUTES);
    assert.ok(cells.length > 0 && cells.every((c) => c.split(' ').includes(repo)), `every row has ${repo}`);
  });

  test('the CSV exports download what the page shows', async () => {
    const page = await signedIn(browser, server, manager, '/org/demo-1/sessions?days=30&handedOff=true&attr=repo%3Dweb');
    await rows(page).first().waitFor();
    const shown = await total(page);
    const ids = await sessionIds(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    assert.equal(download.suggestedFilename(), 'demo-1-sessions.csv');
    const lines = (await readFile(await download.path(), 'utf8')).trim().split('\n');
    assert.equal(lines[0].split(',')[0], 'session_id');
    assert.equal(lines.length - 1, shown, 'one line per session of the filter');
    const exported = new Set(lines.slice(1).map((l) => l.split(',')[0]));
    assert.ok(ids.length > 0 && ids.every((id) => exported.has(id)));

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: /^Users .* active from/ }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    const users = await page.locator('tbody tr').count();
    const [usersCsv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    assert.equal(usersCsv.suggestedFilename(), 'demo-1-users.csv');
    const userLines = (await readFile(await usersCsv.path(), 'utf8')).trim().split('\n');
    assert.equal(userLines.length - 1, users, 'one line per user in the table');
  });

  test('a new session appears without reload, changes live, and its page follows new events', async () => {
    const page = await signedIn(browser, server, manager, '/org/demo-1/sessions?days=7');
    await rows(page).first().waitFor();
    await until(() => page.subscriptions > 0, 'the live subscription');
    await page.evaluate(() => { window.notReloaded = true; });
    const before = await total(page);
    const id = `sess-live-${randomUUID().slice(0, 8)}`;
    await ingest([
      event('SESSION_STARTED', id, { attributes: { repo: 'live' } }),
      event('MESSAGE_SENT', id, { message: { role: 'USER', text: 'fix the flaky test' } }),
    ]);
    await page.getByRole('link', { name: id }).waitFor({ timeout: 10_000 });
    await totalIs(page, before + 1);
    assert.equal((await sessionIds(page))[0], id, 'the newest session comes first');
    const messages = () => page.locator('table.sessions tbody tr', { hasText: id }).locator(`td[data-label="${MESSAGES}"]`).textContent();
    await until(async () => (await messages()) === '1', 'one message');
    await ingest([event('MESSAGE_SENT', id, { message: { role: 'AGENT', text: 'done' } })]);
    await until(async () => (await messages()) === '2', 'the second message to show', 10_000);
    assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded');

    const subscribed = page.subscriptions;
    await page.getByRole('link', { name: id }).click();
    await page.getByRole('heading', { name: `Session ${id}` }).waitFor();
    await until(() => page.subscriptions > subscribed, 'the session subscription');
    assert.equal(await page.locator('section[aria-label="Runs"] tbody tr').count(), 0);
    await ingest([event('RUN_STARTED', id, { runId: 'run-live-1', run: { model: 'claude-test' } })]);
    await page.locator('section[aria-label="Runs"] tbody tr', { hasText: 'run-live-1' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('table.timeline tbody tr').count(), 4);
  });

  test('keyboard: g s opens sessions, / focuses the first filter, j/k move along the rows, ? shows help', async () => {
    const page = await signedIn(browser, server, manager, '/org/demo-1/overview?days=30');
    await page.locator('.card').first().waitFor();
    await page.keyboard.press('g');
    await page.keyboard.press('s');
    await rows(page).first().waitFor();
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement.name), 'user');
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    const ids = await sessionIds(page);
    assert.equal(await page.evaluate(() => document.activeElement.querySelector('.sid').textContent), ids[1]);
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await expectAccessible(page, 'with the help open');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
  });
});

describe('drill-down', () => {
  test('a failure category on the overview opens the sessions that failed in it, as many as the API counts', async () => {
    const page = await signedIn(browser, server, manager, '/org/demo-1/overview?from=2020-01-01&to=2029-01-01');
    const link = page.getByRole('link', { name: 'TIMEOUT', exact: true });
    await link.click();
    await page.waitForURL(/sessions.*failed=TIMEOUT/);
    await rows(page).first().waitFor();
    const want = await apiTotal({ errorCategory: 'TIMEOUT' });
    assert.ok(want > 0, 'the demo has TIMEOUT failures');
    await totalIs(page, want);
    assert.equal(await page.getByLabel('Failed in').inputValue(), 'TIMEOUT');
    // Every row shown has a failed run.
    const failed = (await column(page, 'Failed')).map(number);
    assert.ok(failed.length > 0 && failed.every((n) => n > 0), `failed runs per row: ${failed}`);

    await page.goto(`${server.url}/#/org/demo-1/sessions?from=2020-01-01&to=2029-01-01&failed=LOST&token=${encodeURIComponent(manager)}`);
    await page.getByText('is not a failure category').waitFor();
  });
});

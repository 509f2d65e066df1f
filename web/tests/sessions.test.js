// The sessions page: filters narrow the table, a new event shows up without
// reloading, the CSV export downloads the current filter; keyboard shortcuts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { startServer } from './server.js';
import { launch, number, signedIn } from './browser.js';

let server;
let browser;
let manager;

before(async () => {
  server = await startServer();
  browser = await launch();
  manager = server.token('MANAGER', { org: 'demo-1', sub: 'a-manager' });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const rows = (page) => page.locator('table.sessions tbody tr');
const column = (page, n) => page.locator(`table.sessions tbody tr td:nth-child(${n})`).allTextContents();
const total = async (page) => number(await page.locator('h1 small').textContent());

/** Waits until the table shows a different total than `before`. */
async function totalChanges(page, before) {
  await page.waitForFunction((n) => {
    const text = document.querySelector('h1 small')?.textContent ?? '';
    return text.includes('in all') && Number(text.replace(/[^0-9]/g, '')) !== n && document.querySelector('table.sessions, .empty');
  }, before);
  return total(page);
}

async function ingest(events) {
  const { ingestEvents } = await server.gql(server.ingestToken(),
    'mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted rejected { message } } }', { e: events });
  assert.equal(ingestEvents.accepted, events.length, JSON.stringify(ingestEvents.rejected));
}

const event = (type, sessionId, extra = {}) => ({
  eventId: randomUUID(), org: 'demo-1', type, occurredAt: new Date().toISOString(), sessionId, userId: 'live-user', ...extra,
});

describe('sessions page', () => {
  test('each filter narrows the table, and lives in the URL', async () => {
    const page = await signedIn(browser, server, manager, '/org/demo-1/sessions?days=30');
    await rows(page).first().waitFor();
    const all = await total(page);

    await page.getByLabel('Handed off').selectOption('true');
    const handedOff = await totalChanges(page, all);
    assert.ok(handedOff > 0 && handedOff < all, `${handedOff} of ${all} handed off`);
    assert.ok((await column(page, 10)).every((cell) => cell.startsWith('local')));
    assert.match(await page.evaluate(() => location.hash), /handedOff=true/);

    const user = (await column(page, 2))[0];
    const { org } = await server.gql(manager, '{ org(slug: "demo-1") { users(range: {from: "2020-01-01", to: "2030-01-01"}, first: 200) { edges { node { user { id name } } } } } }');
    const userId = org.users.edges.find((e) => e.node.user.name === user).node.user.id;
    await page.getByLabel('User').fill(userId);
    await page.getByLabel('User').press('Tab');
    const mine = await totalChanges(page, handedOff);
    assert.ok(mine > 0 && mine < handedOff);
    assert.deepEqual([...new Set(await column(page, 2))], [user]);

    await page.reload();
    await rows(page).first().waitFor();
    assert.equal(await total(page), mine, 'a reload keeps the filters');

    await page.getByLabel('Handed off').selectOption('');
    await page.getByLabel('User').fill('');
    await page.getByLabel('User').press('Tab');
    await page.waitForFunction((n) => document.querySelector('h1 small')?.textContent === `${n.toLocaleString('en-US')} in all`, all);
    const repo = (await column(page, 11))[0].split(' ').find((a) => a.startsWith('repo='));
    await page.getByLabel('Attribute').fill(repo);
    await page.getByLabel('Attribute').press('Tab');
    await page.waitForFunction((r) => location.hash.includes(encodeURIComponent(r)) || location.hash.includes(r), repo);
    await rows(page).first().waitFor();
    const cells = await column(page, 11);
    assert.ok(cells.every((c) => c.split(' ').includes(repo)), `every row has ${repo}`);
    assert.ok((await total(page)) < all);
    await page.context().close();
  });

  test('the CSV export downloads the current filter', async () => {
    const page = await signedIn(browser, server, manager, '/org/demo-1/sessions?days=30&handedOff=true');
    await rows(page).first().waitFor();
    const shown = await total(page);
    const ids = await column(page, 1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    assert.equal(download.suggestedFilename(), 'demo-1-sessions.csv');
    const lines = (await readFile(await download.path(), 'utf8')).trim().split('\n');
    assert.equal(lines[0].split(',')[0], 'session_id');
    assert.equal(lines.length - 1, shown, 'one line per session of the filter');
    const exported = new Set(lines.slice(1).map((l) => l.split(',')[0]));
    assert.ok(ids.every((id) => exported.has(id)));
    await page.context().close();
  });

  test('a new session appears without reload, and its page follows new events', async () => {
    const page = await signedIn(browser, server, manager, '/org/demo-1/sessions?days=7');
    await rows(page).first().waitFor();
    const before = await total(page);
    const id = `sess-live-${randomUUID().slice(0, 8)}`;
    await ingest([
      event('SESSION_STARTED', id, { attributes: { repo: 'live' } }),
      event('MESSAGE_SENT', id, { message: { role: 'USER', text: 'fix the flaky test' } }),
    ]);
    await page.getByRole('link', { name: id }).waitFor({ timeout: 10_000 });
    assert.equal(await total(page), before + 1);
    assert.equal((await column(page, 1))[0], id, 'the newest session comes first');

    await page.getByRole('link', { name: id }).click();
    await page.getByRole('heading', { name: `Session ${id}` }).waitFor();
    assert.equal(await page.locator('section[aria-label="Runs"] tbody tr').count(), 0);
    await ingest([event('RUN_STARTED', id, { runId: 'run-live-1', run: { model: 'claude-test' } })]);
    await page.locator('section[aria-label="Runs"] tbody tr', { hasText: 'run-live-1' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.timeline li').count(), 3);
    await page.context().close();
  });

  test('keyboard: g s opens sessions, / focuses the first filter, j moves down the rows, ? shows help', async () => {
    const page = await signedIn(browser, server, manager, '/org/demo-1/overview?days=30');
    await page.locator('.card').first().waitFor();
    await page.keyboard.press('g');
    await page.keyboard.press('s');
    await rows(page).first().waitFor();
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement.name), 'user');
    await page.keyboard.press('Escape');
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    const focused = await page.evaluate(() => document.activeElement.textContent);
    assert.equal(focused, (await column(page, 1))[1]);
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await page.context().close();
  });
});

// The data lifecycle: an ORG_ADMIN changes the retention in the settings (an
// out-of-range value is refused beside the field), exports a member's data
// as a JSON-lines file, erases a member's data after typing their id and
// follows the receipt to its counts; a SUPER_ADMIN sees the jobs and the
// (empty) dead letters on the Fleet pages. Each page passes axe-core at 1280
// and 390 px, light and dark, without sideways scroll; screenshots go to
// LIFECYCLE_SHOTS (default /tmp/lifecycle-shots).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withDashboard } from './suite.js';
import { expectAccessible, number, signedIn, until } from './browser.js';

const SHOTS = process.env.LIFECYCLE_SHOTS ?? '/tmp/lifecycle-shots';
mkdirSync(SHOTS, { recursive: true });

let server;
let browser;
let superAdmin;
let orgAdmin;
let admin;
let exported;
let erased;

const ORG = '{ org(slug: "demo-1") { retentionDays members { id name } erasures { userId requestedBy completedAt events sessions runs jobId } } }';
const state = async () => (await server.gql(superAdmin, ORG)).org;

withDashboard(async (s, b) => {
  [server, browser] = [s, b];
  superAdmin = server.token('SUPER_ADMIN');
  const { org } = await server.gql(superAdmin, '{ org(slug: "demo-1") { users(range: {from: "2020-01-01", to: "2030-01-01"}, first: 3) { edges { node { user { id name } } } } } }');
  [admin, exported, erased] = org.users.edges.map((e) => e.node.user);
  orgAdmin = server.token('ORG_ADMIN', { org: 'demo-1', sub: admin.id });
  // Two people with data become members (their role set here), so the members page lists them.
  for (const user of [exported, erased]) {
    await server.gql(superAdmin, 'mutation($id: String!) { setUserRole(org: "demo-1", userId: $id, role: MEMBER) { id } }', { id: user.id });
  }
});

/** Waits until the page has loaded (its tabs shown, no skeleton left). */
async function loaded(page, tabs = 'Admin') {
  await page.getByRole('navigation', { name: tabs }).waitFor();
  await page.locator('main .skeleton').first().waitFor({ state: 'detached' }); // the first of any: none is left
}

const dialog = (page) => page.getByRole('dialog');

/** The value of the receipt's entry `term` ("Events removed"). */
const entry = (receipt, term) => receipt.locator('dt', { hasText: term }).locator('xpath=following-sibling::dd[1]').textContent();

describe('data lifecycle', () => {
  test('settings: a retention out of range is refused beside the field, a valid one is saved and applied by a job', async () => {
    const page = await signedIn(browser, server, orgAdmin, '/org/demo-1/admin/settings');
    await loaded(page);
    const retention = page.getByLabel('Retention (days)');
    assert.equal(await retention.inputValue(), '365');
    for (const wrong of ['0', '3651', '12.5']) {
      await retention.fill(wrong);
      await page.getByRole('button', { name: 'Save settings' }).click();
      const message = page.getByRole('alert').filter({ hasText: 'Retention must be a whole number of days from 1 to 3650; nothing was saved.' });
      await message.waitFor();
      assert.equal(await retention.getAttribute('aria-invalid'), 'true', `${wrong} is marked invalid`);
      assert.match(await retention.getAttribute('aria-describedby'), /retention-error/, 'the message describes the field');
      assert.equal(await page.evaluate(() => document.activeElement?.name), 'retentionDays', 'focus goes back to the field');
      assert.equal((await state()).retentionDays, 365, `${wrong} was not sent`);
    }
    await page.screenshot({ path: join(SHOTS, 'settings-refused-1280-light.png'), fullPage: true });

    await retention.fill('200');
    await page.getByRole('alert').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved. The org now keeps 200 days of data: a background job is removing what is older' }).waitFor();
    assert.equal(await page.getByLabel('Retention (days)').inputValue(), '200', 'the field shows what was saved');
    assert.equal((await state()).retentionDays, 200);
    const { jobs } = await server.gql(superAdmin, '{ jobs { kind org createdBy } }');
    assert.ok(jobs.some((j) => j.kind === 'RETENTION' && j.org === 'demo-1' && j.createdBy === admin.id), 'a retention job was queued');
    await expectAccessible(page, 'on the settings page after saving');
    await server.gql(superAdmin, 'mutation { updateOrg(slug: "demo-1", retentionDays: 365) { slug } }');
  });

  test('an ORG_ADMIN exports a member’s data: the profile, then their events only', async () => {
    const page = await signedIn(browser, server, orgAdmin, '/org/demo-1/admin/members');
    await loaded(page);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: `Export data of ${exported.name}` }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `demo-1-${exported.id}.jsonl`);
    const lines = readFileSync(await download.path(), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const [profile, ...events] = lines;
    assert.deepEqual([profile.type, profile.org, profile.userId, profile.name], ['profile', 'demo-1', exported.id, exported.name]);
    assert.ok(events.length > 0, 'events follow the profile');
    assert.deepEqual([...new Set(events.map((e) => e.type))], ['event']);
    assert.deepEqual([...new Set(events.map((e) => e.userId))], [exported.id], 'only their events');
    const times = events.map((e) => e.occurredAt);
    assert.deepEqual(times, [...times].sort((a, b) => Date.parse(a) - Date.parse(b)), 'oldest first');
    await page.getByRole('status').filter({ hasText: `The data of ${exported.name} is downloaded.` }).waitFor({ state: 'attached' });

    // Someone the org holds nothing of: the server's reason shows beside the form.
    const form = page.getByRole('form', { name: 'Data of any user' });
    await form.getByLabel('User id').fill('nobody-at-all');
    await form.getByRole('button', { name: 'Export data' }).click();
    await form.getByRole('alert').filter({ hasText: 'holds no data of user "nobody-at-all"' }).waitFor();
  });

  test('an ORG_ADMIN erases a member’s data after typing their id and follows the receipt to its counts', async () => {
    const page = await signedIn(browser, server, orgAdmin, '/org/demo-1/admin/members');
    await loaded(page);
    const row = page.locator('table.members tbody tr', { hasText: erased.id });
    const profile = row.locator('td[data-label="Name and email"]');
    assert.match(await profile.textContent(), new RegExp(`^${erased.name}`));
    await page.getByRole('button', { name: `Erase data of ${erased.name}` }).click();
    await dialog(page).getByRole('heading', { name: `Erase the data of ${erased.name}?` }).waitFor();
    const typed = dialog(page).getByLabel(`Type ${erased.id} to confirm`);
    assert.ok(await typed.evaluate((el) => el === document.activeElement), 'focus starts in the field');
    await expectAccessible(page, 'with the erase dialog open');
    await page.screenshot({ path: join(SHOTS, 'erase-dialog-1280-light.png') });

    // A wrong id: refused in the dialog, nothing asked of the server.
    await typed.fill(erased.name);
    await dialog(page).getByRole('button', { name: 'Erase data' }).click();
    await dialog(page).getByRole('alert').filter({ hasText: `Type the user id exactly as shown, ${erased.id}` }).waitFor();
    assert.deepEqual((await state()).erasures, [], 'no erasure asked for');

    await typed.fill(erased.id);
    await typed.press('Enter');
    await dialog(page).waitFor({ state: 'detached' });
    const receipt = page.getByRole('region', { name: `Erasure of ${erased.id}` });
    await receipt.waitFor();
    assert.ok(await receipt.evaluate((el) => el === document.activeElement), 'focus moves to the receipt');
    assert.equal((await entry(receipt, 'Requested by')).trim(), admin.id);
    await receipt.getByRole('status').filter({ hasText: /^Completed\. Removed [\d,]+ events, [\d,]+ sessions and [\d,]+ runs\.$/ }).waitFor({ timeout: 30_000 });
    const shown = {};
    for (const what of ['events', 'sessions', 'runs']) {
      shown[what] = number(await entry(receipt, `${what[0].toUpperCase()}${what.slice(1)} removed`));
      assert.ok(shown[what] > 0, `some ${what} removed`);
    }
    assert.notEqual((await entry(receipt, 'Completed at')).trim(), 'not yet');
    const [saved] = (await state()).erasures;
    assert.deepEqual({ events: saved.events, sessions: saved.sessions, runs: saved.runs }, shown, 'the receipt shows the server’s counts');
    await page.screenshot({ path: join(SHOTS, 'erase-receipt-1280-light.png'), fullPage: true });

    // Their profile is gone from the members list (their role and access stay), the receipt is listed.
    await profile.getByText(/^Data erased/).waitFor();
    assert.ok(!(await row.textContent()).includes(erased.name), 'no name any more');
    const listed = page.locator('table.erasures tbody tr', { hasText: erased.id });
    assert.match(await listed.textContent(), new RegExp(`by ${admin.id}.*${shown.events.toLocaleString('en-US')}`));
    // Nothing left to export.
    await page.getByRole('button', { name: `Export data of ${erased.id}` }).click();
    await row.getByRole('alert').filter({ hasText: /\(404\).*holds no data/ }).waitFor();
    await receipt.getByRole('button', { name: `Close the receipt of ${erased.id}` }).click();
    await receipt.waitFor({ state: 'detached' });

    // Nor on the users page.
    await page.goto(`${server.url}/#/org/demo-1/users?days=90`);
    await page.locator('main table tbody tr').first().waitFor();
    assert.ok((await page.locator('main table tbody tr').count()) > 0);
    assert.equal(await page.locator('main table tbody tr', { hasText: erased.name }).count(), 0, 'not among the users');
  });

  test('a SUPER_ADMIN sees the erasure and retention jobs succeeded on the Jobs page', async () => {
    const page = await signedIn(browser, server, superAdmin, '/global?days=30');
    await page.getByRole('navigation', { name: 'Fleet' }).getByRole('link', { name: 'Jobs' }).click();
    await page.waitForFunction(() => location.hash.startsWith('#/global/jobs'));
    await loaded(page, 'Fleet');
    assert.equal(await page.locator('header').getByLabel('Range').count(), 0, 'no range on the jobs page');
    const { erasures } = await state();
    const { job } = await server.gql(superAdmin, 'query($id: ID!) { job(id: $id) { createdAt } }', { id: erasures[0].jobId });
    const row = page.locator('table.jobs tbody tr', { has: page.locator('th', { hasText: 'Erasure' }) }).first();
    assert.match(await row.textContent(), /demo-1.*Succeeded.*100 %/);
    assert.equal(await row.getByRole('progressbar').getAttribute('aria-valuenow'), '100');
    assert.match(await row.textContent(), new RegExp(`by ${admin.id}`));
    assert.equal(await row.locator('time').first().getAttribute('datetime'), job.createdAt);
    assert.match(await row.textContent(), new RegExp(`Removed ${erasures[0].events.toLocaleString('en-US')} events`));
    const retention = page.locator('table.jobs tbody tr', { has: page.locator('th', { hasText: 'Retention' }) });
    // The settings test changed the retention twice; the second change
    // joins the first when that one has not started yet.
    assert.ok((await retention.count()) >= 1, 'the retention changes');
    assert.match(await retention.first().textContent(), /demo-1.*Succeeded/);
    await page.getByRole('status').filter({ hasText: 'No job is queued or running.' }).waitFor();
    await expectAccessible(page, 'on the jobs page');
  });

  test('the dead letters page says there are none, filters by org and retries', async () => {
    const page = await signedIn(browser, server, superAdmin, '/global/dead-letters');
    await loaded(page, 'Fleet');
    assert.equal(number(await page.locator('main h2 small').textContent()), 0, 'totalCount 0');
    await page.locator('main .empty', { hasText: 'No dead letters' }).waitFor();
    await page.getByLabel('Of org').selectOption('demo-2');
    await page.waitForFunction(() => location.hash.includes('org=demo-2'));
    await page.locator('main h2 small', { hasText: '0 in all of Globex (demo)' }).waitFor();
    await page.getByRole('button', { name: 'Retry all of Globex (demo)' }).click();
    await page.getByRole('status').filter({ hasText: 'Requeued 0 dead letters of Globex (demo)' }).waitFor();
    await page.getByLabel('Of org').selectOption('');
    await page.getByRole('button', { name: 'Retry all', exact: true }).click();
    await page.getByRole('status').filter({ hasText: /^Requeued 0 dead letters;/ }).waitFor();
    await expectAccessible(page, 'on the dead letters page');
  });

  test('an ORG_ADMIN sees no Fleet link and is refused the jobs page', async () => {
    const page = await signedIn(browser, server, orgAdmin, '/global/jobs');
    await page.getByRole('alert').filter({ hasText: 'Only a SUPER_ADMIN sees the fleet.' }).waitFor();
    assert.equal(await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Fleet' }).count(), 0);
    assert.equal(await page.locator('table.jobs').count(), 0);
  });

  test('the lifecycle pages pass axe-core at 1280 and 390 px, light and dark, without sideways scroll', async () => {
    const pages = [
      ['settings', orgAdmin, '/org/demo-1/admin/settings', 'Admin'],
      ['members', orgAdmin, '/org/demo-1/admin/members', 'Admin'],
      ['jobs', superAdmin, '/global/jobs', 'Fleet'],
      ['dead-letters', superAdmin, '/global/dead-letters', 'Fleet'],
    ];
    for (const colorScheme of ['light', 'dark']) {
      for (const width of [1280, 390]) {
        for (const [name, token, path, tabs] of pages) {
          const page = await signedIn(browser, server, token, path, { colorScheme, viewport: { width, height: 900 } });
          await loaded(page, tabs);
          const where = `on ${name} at ${width} px, ${colorScheme}`;
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
          assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px ${where}`);
          await expectAccessible(page, where);
          await page.screenshot({ path: join(SHOTS, `${name}-${width}-${colorScheme}.png`), fullPage: true });
          assert.deepEqual(page.errors.map(String), [], `uncaught errors ${where}`);
          await page.context().close();
        }
      }
    }
  });
});

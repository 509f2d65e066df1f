// The admin pages: an ORG_ADMIN creates an API key a producer then uses and
// revokes it; changes a member's role and access; reads the audit log and
// changes the settings. A SUPER_ADMIN creates, suspends and reactivates orgs
// on the Fleet page. Other roles see no Admin link and are refused. Every
// page passes axe-core at 1280 and 390 px, light and dark; screenshots go to
// ADMIN_SHOTS (default /tmp/admin-shots).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withDashboard } from './suite.js';
import { expectAccessible, signedIn, until } from './browser.js';

const SHOTS = process.env.ADMIN_SHOTS ?? '/tmp/admin-shots';
mkdirSync(SHOTS, { recursive: true });

let server;
let browser;
let superAdmin;
let orgAdmin;
let admin;
let member;

withDashboard(async (s, b) => {
  [server, browser] = [s, b];
  superAdmin = server.token('SUPER_ADMIN');
  const { org } = await server.gql(superAdmin, '{ org(slug: "demo-1") { users(range: {from: "2020-01-01", to: "2030-01-01"}, first: 2) { edges { node { user { id name } } } } } }');
  [admin, member] = org.users.edges.map((e) => e.node.user);
  orgAdmin = server.token('ORG_ADMIN', { org: 'demo-1', sub: admin.id });
});

/** A producer's call with `secret`: the number accepted, or the error code. */
async function produce(secret, org = 'demo-1') {
  const event = { eventId: randomUUID(), org, type: 'SESSION_STARTED', occurredAt: new Date().toISOString(), sessionId: `key-${randomUUID()}`, userId: 'key-producer' };
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}` },
    body: JSON.stringify({ query: 'mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted rejected { code } } }', variables: { e: [event] } }),
  });
  const body = await response.json();
  return body.errors ? body.errors[0].extensions?.code : body.data.ingestEvents;
}

const members = async () => (await server.gql(orgAdmin, '{ org(slug: "demo-1") { members { id role roleSetBy disabled } } }')).org.members;

/** The member has signed in: agentmon lists them once it records sightings (every 10 s). */
async function signedInOnce(user) {
  const token = server.token('MEMBER', { org: 'demo-1', sub: user.id });
  await server.gql(token, '{ me { role } }');
  await until(async () => (await members()).some((m) => m.id === user.id), `${user.id} among the members`, 20_000);
  return token;
}

/** Waits until the admin page has loaded (its tabs shown, no skeleton left). */
async function loaded(page) {
  await page.getByRole('navigation', { name: 'Admin' }).waitFor();
  await page.locator('main .skeleton').first().waitFor({ state: 'detached' }); // the first of any: none is left
}

const dialog = (page) => page.getByRole('dialog');
const focused = (page) => page.evaluate(() => document.activeElement?.textContent.trim());

describe('admin pages', () => {
  test('an ORG_ADMIN creates a key, a producer uses it, the admin revokes it and it is refused', async () => {
    const page = await signedIn(browser, server, orgAdmin, '/org/demo-1/overview?days=30');
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Admin' }).click();
    await page.waitForFunction(() => location.hash.startsWith('#/org/demo-1/admin/keys'));
    await loaded(page);

    // The server's refusal shows beside the form.
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('alert').filter({ hasText: /name must have/ }).waitFor();

    const name = `producer-${randomUUID().slice(0, 8)}`;
    await page.getByLabel('Key name').fill(name);
    await page.getByRole('button', { name: 'Create key' }).click();
    const panel = page.getByRole('region', { name: new RegExp(`Key “${name}” created`) });
    await panel.waitFor();
    assert.match(await panel.textContent(), /will not be shown again/);
    const secret = await page.getByLabel('Secret', { exact: true }).inputValue();
    assert.ok(secret.length > 20, `a secret: ${secret}`);
    await page.getByRole('button', { name: 'Copy' }).click();
    await panel.getByRole('status').filter({ hasText: /Copied|selected/ }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'keys-secret-1280-light.png'), fullPage: true });
    await expectAccessible(page, 'with the new secret shown');

    assert.deepEqual(await produce(secret), { accepted: 1, rejected: [] }, 'a producer sends with the new key');

    await page.getByRole('button', { name: 'I have stored it' }).click();
    await panel.waitFor({ state: 'detached' });
    assert.ok(!(await page.content()).includes(secret), 'the secret is shown only once');
    const row = page.locator('tbody tr', { hasText: name });
    assert.match(await row.textContent(), /Active/);
    const prefix = (await row.locator('code').textContent()).replace(/…$/, '');
    assert.equal(prefix.length, 12, `a prefix of 12 characters: ${prefix}`);
    assert.ok(secret.startsWith(prefix), 'the row shows the secret’s prefix');

    // The confirmation: focus on Cancel, Escape closes it and gives focus back.
    const revoke = page.getByRole('button', { name: `Revoke key ${name}` });
    await revoke.click();
    await dialog(page).waitFor();
    assert.equal(await focused(page), 'Cancel');
    await expectAccessible(page, 'with the revoke dialog open');
    await page.screenshot({ path: join(SHOTS, 'keys-revoke-dialog-1280-light.png') });
    await page.keyboard.press('Escape');
    await dialog(page).waitFor({ state: 'detached' });
    assert.equal(await focused(page), `Revoke key ${name}`);
    assert.match(await row.textContent(), /Active/, 'cancelled: still active');

    await revoke.click();
    await dialog(page).getByRole('button', { name: 'Revoke key' }).click();
    await dialog(page).waitFor({ state: 'detached' });
    assert.equal(await focused(page), name, 'focus goes to the key’s row, its Revoke button gone');
    await row.getByText(/^Revoked/).waitFor();
    assert.equal(await row.getByRole('button').count(), 0, 'a revoked key has no Revoke button');

    let code;
    await until(async () => (code = await produce(secret)) === 'UNAUTHENTICATED', `the revoked key refused (last answer ${JSON.stringify(code)})`, 5_000);
  });

  test('an ORG_ADMIN makes a MEMBER a MANAGER, disables and enables them, and cannot change themselves', async () => {
    const memberToken = await signedInOnce(member);
    const page = await signedIn(browser, server, orgAdmin, '/org/demo-1/admin/members');
    await loaded(page);
    const mine = page.locator('tbody tr', { hasText: admin.id });
    await mine.getByText('You cannot change yourself').waitFor();
    assert.equal(await mine.locator('select, button').count(), 0, 'no controls on your own row');

    const row = page.locator('tbody tr', { hasText: member.id });
    const role = page.getByLabel(`Role of ${member.name}`);
    assert.equal(await role.inputValue(), 'MEMBER');
    await role.selectOption('MANAGER');
    await page.getByRole('button', { name: `Change role of ${member.name}` }).click();
    await dialog(page).getByRole('heading', { name: `Make ${member.name} MANAGER?` }).waitFor();
    await dialog(page).getByRole('button', { name: 'Change role' }).click();
    await dialog(page).waitFor({ state: 'detached' });
    await row.getByText(admin.id).waitFor();
    assert.equal(await role.inputValue(), 'MANAGER');
    const set = (await members()).find((m) => m.id === member.id);
    assert.deepEqual([set.role, set.roleSetBy], ['MANAGER', admin.id], 'the API reports the new role and who set it');
    assert.equal((await server.gql(memberToken, '{ me { role } }')).me.role, 'MANAGER', 'it applies to their next request');

    await page.getByRole('button', { name: `Disable ${member.name}` }).click();
    await dialog(page).getByRole('button', { name: 'Disable' }).click();
    await row.getByText('Disabled').waitFor();
    await assert.rejects(server.gql(memberToken, '{ me { role } }'), /disabled/, 'a disabled member is refused');
    await page.getByRole('button', { name: `Enable ${member.name}` }).click();
    await dialog(page).getByRole('button', { name: 'Enable' }).click();
    await row.getByText('Active').waitFor();
    assert.equal((await server.gql(memberToken, '{ me { role } }')).me.role, 'MANAGER');
    await expectAccessible(page, 'on the members page');
  });

  test('the audit log lists key and role changes newest first, filters and loads more', async () => {
    // More entries than one page holds.
    for (let i = 0; i < 26; i += 1) {
      for (const disabled of [true, false]) {
        await server.gql(orgAdmin, 'mutation($id: String!, $d: Boolean!) { setUserDisabled(org: "demo-1", userId: $id, disabled: $d) { id } }', { id: member.id, d: disabled });
      }
    }
    const page = await signedIn(browser, server, orgAdmin, '/org/demo-1/admin/audit');
    await loaded(page);
    const actions = () => page.locator('tbody th').allTextContents();
    assert.equal((await actions()).length, 50, 'one page of 50');
    await page.getByRole('button', { name: 'Load more' }).click();
    await until(async () => (await actions()).length > 50, 'a second page');
    const shown = await actions();
    for (const action of ['API_KEY_CREATED', 'API_KEY_REVOKED', 'ROLE_SET', 'USER_DISABLED', 'USER_ENABLED']) {
      assert.ok(shown.includes(action), `${action} is listed`);
    }
    const times = await page.locator('tbody time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')));
    assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
    assert.match(await page.locator('main').textContent(), /filters look only at the \d+ newest entries loaded/);

    await page.getByLabel('Action').selectOption('ROLE_SET');
    await page.waitForFunction(() => location.hash.includes('action=ROLE_SET'));
    assert.deepEqual([...new Set(await actions())], ['ROLE_SET']);
    assert.match(await page.locator('tbody tr').first().textContent(), new RegExp(`${member.id}.*role: MANAGER`));
    await page.getByLabel('Action').selectOption('');
    await page.getByLabel('Actor').selectOption(admin.id);
    await page.waitForFunction((id) => location.hash.includes(`actor=${encodeURIComponent(id)}`), admin.id);
    await until(async () => {
      const entries = await page.locator('tbody tr').allTextContents();
      return entries.length > 0 && entries.every((t) => t.includes(admin.id));
    }, 'only the admin’s entries');
    await expectAccessible(page, 'on the audit log');
  });

  test('settings: a retention out of range is refused, a valid one and a new name are saved', async () => {
    const page = await signedIn(browser, server, orgAdmin, '/org/demo-1/admin/settings');
    await loaded(page);
    const retention = page.getByLabel('Retention (days)');
    assert.equal(await retention.inputValue(), '365');
    await retention.fill('0');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('alert').filter({ hasText: 'Retention must be a whole number of days from 1 to 3650' }).waitFor();

    await retention.fill('400');
    await page.getByLabel('Name', { exact: true }).fill('Acme (renamed)');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const { org } = await server.gql(orgAdmin, '{ org(slug: "demo-1") { name retentionDays } }');
    assert.deepEqual(org, { name: 'Acme (renamed)', retentionDays: 400 });
    await page.locator('header .org', { hasText: 'Acme (renamed)' }).waitFor();
    await expectAccessible(page, 'on the settings page');
    await server.gql(orgAdmin, 'mutation { updateOrg(slug: "demo-1", name: "Acme (demo)", retentionDays: 365) { slug } }');
  });

  test('a SUPER_ADMIN creates an org on the Fleet page, suspends and reactivates it', async () => {
    const page = await signedIn(browser, server, superAdmin, '/global?days=30');
    const form = page.getByRole('form', { name: 'Create org' });
    await form.getByLabel('Slug', { exact: true }).fill('Bad Slug');
    await form.getByLabel('Name', { exact: true }).fill('Browser org');
    await form.getByRole('button', { name: 'Create org' }).click();
    await form.getByRole('alert').filter({ hasText: /slug "Bad Slug" is not valid/ }).waitFor();

    await form.getByLabel('Slug', { exact: true }).fill('browser-org');
    await form.getByLabel('Name', { exact: true }).fill('Browser org');
    await form.getByLabel('Time zone').selectOption('Europe/Berlin');
    await form.getByRole('button', { name: 'Create org' }).click();
    await form.getByRole('status').filter({ hasText: 'Created Browser org' }).waitFor();
    const row = page.locator('table.orgs tbody tr', { hasText: 'browser-org' });
    assert.match(await row.textContent(), /Europe\/Berlin.*Active/);
    await page.locator('header').getByLabel('Org', { exact: true }).locator('option', { hasText: 'Browser org' }).waitFor({ state: 'attached' });

    await row.getByRole('button', { name: 'Suspend Browser org' }).click();
    await dialog(page).getByRole('button', { name: 'Suspend org' }).click();
    await row.getByText('Suspended').waitFor();
    assert.deepEqual((await produce(server.ingestToken(), 'browser-org')).rejected, [{ code: 'ORG_SUSPENDED' }]);
    await row.getByRole('button', { name: 'Reactivate Browser org' }).click();
    await dialog(page).getByRole('button', { name: 'Reactivate org' }).click();
    await row.getByText('Active').waitFor();
    assert.equal((await produce(server.ingestToken(), 'browser-org')).accepted, 1);
    await expectAccessible(page, 'on the fleet page');
  });

  test('a MANAGER sees no Admin link and is refused the admin pages; an ORG_ADMIN is refused another org’s', async () => {
    const manager = server.token('MANAGER', { org: 'demo-1', sub: 'a-manager' });
    const page = await signedIn(browser, server, manager, '/org/demo-1/overview?days=30');
    await page.locator('nav[aria-label="Pages"] a').first().waitFor();
    assert.deepEqual(await page.locator('nav[aria-label="Pages"] a').allTextContents(), ['Overview', 'Sessions', 'Users', 'Alerts']);
    await page.goto(`${server.url}/#/org/demo-1/admin/keys`);
    await page.getByRole('alert').filter({ hasText: 'Not allowed' }).waitFor();
    assert.equal(await page.locator('main table, main form').count(), 0);

    // `g a` opens the admin pages for those who see the link.
    const own = await signedIn(browser, server, orgAdmin, '/org/demo-1/overview?days=30');
    await own.locator('nav[aria-label="Pages"] a').first().waitFor();
    await own.keyboard.press('g');
    await own.keyboard.press('a');
    await own.waitForFunction(() => location.hash.startsWith('#/org/demo-1/admin/keys'));

    const other = await signedIn(browser, server, orgAdmin, '/org/demo-2/admin/keys');
    await other.getByRole('alert').filter({ hasText: 'Not allowed' }).waitFor();
    await expectAccessible(other, 'on a refusal');
  });

  test('every admin page passes axe-core at 1280 and 390 px, light and dark, without sideways scroll', async () => {
    const pages = [
      ...['keys', 'members', 'audit', 'settings'].map((tab) => [tab, orgAdmin, `/org/demo-1/admin/${tab}`]),
      ['fleet', superAdmin, '/global?days=30'],
    ];
    for (const colorScheme of ['light', 'dark']) {
      for (const width of [1280, 390]) {
        for (const [name, token, path] of pages) {
          const page = await signedIn(browser, server, token, path, { colorScheme, viewport: { width, height: 900 } });
          if (name === 'fleet') await page.locator('table.orgs').waitFor();
          else await loaded(page);
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

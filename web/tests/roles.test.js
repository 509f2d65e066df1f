// Each role sees exactly its navigation and is refused the rest; the org
// selector switches org; sign-in by pasting a token; an expired token sends
// the viewer back to sign-in with a message.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.js';
import { launch, signedIn } from './browser.js';

let server;
let browser;
let member;

before(async () => {
  server = await startServer();
  browser = await launch();
  const admin = server.token('SUPER_ADMIN');
  const { org } = await server.gql(admin, '{ org(slug: "demo-1") { sessions(first: 1) { edges { node { user { id } } } } } }');
  member = org.sessions.edges[0].node.user.id;
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const ROLES = {
  MEMBER: { nav: ['Overview', 'Sessions', 'Me'], orgSelector: false, refused: ['/org/demo-1/users', '/org/demo-2/overview', '/global'] },
  MANAGER: { nav: ['Overview', 'Sessions', 'Users'], orgSelector: false, refused: ['/org/demo-2/overview', '/org/demo-2/sessions', '/global'] },
  ORG_ADMIN: { nav: ['Overview', 'Sessions', 'Users'], orgSelector: false, refused: ['/org/demo-3/users', '/global'] },
  SUPPORT: { nav: ['Overview', 'Sessions', 'Users'], orgSelector: true, refused: ['/global'] },
  SUPER_ADMIN: { nav: ['Overview', 'Sessions', 'Users', 'Fleet'], orgSelector: true, refused: [] },
};

async function open(role, path = '/org/demo-1/overview?days=30') {
  const org = ['MEMBER', 'MANAGER', 'ORG_ADMIN'].includes(role) ? 'demo-1' : undefined;
  const token = server.token(role, { org, sub: role === 'MEMBER' ? member : `a-${role.toLowerCase()}` });
  const page = await signedIn(browser, server, token, path);
  await page.locator('nav[aria-label="Pages"] a').first().waitFor();
  return page;
}

const refusal = (page) => page.getByRole('alert').filter({ hasText: 'Not allowed' });

describe('navigation by role', () => {
  for (const [role, expected] of Object.entries(ROLES)) {
    test(`${role} sees ${expected.nav.join(', ')} and is refused the rest`, async () => {
      const page = await open(role);
      assert.deepEqual(await page.locator('nav[aria-label="Pages"] a').allTextContents(), expected.nav);
      assert.equal(await page.getByLabel('Org').count(), expected.orgSelector ? 1 : 0);
      await page.locator('.card').first().waitFor();
      for (const path of expected.refused) {
        await page.evaluate((hash) => { location.hash = hash; }, path);
        await refusal(page).waitFor({ timeout: 5_000 });
      }
      if (role === 'MEMBER') {
        // "Me" opens the member's own page; the sessions page shows only theirs.
        await page.evaluate(() => { location.hash = '/org/demo-1/overview?days=30'; });
        await page.getByRole('link', { name: 'Me' }).click();
        await page.getByRole('heading', { level: 1 }).filter({ hasNotText: 'agentmon' }).waitFor();
        assert.equal(await refusal(page).count(), 0);
        await page.getByRole('link', { name: 'Sessions' }).click();
        await page.locator('table.sessions tbody tr').first().waitFor();
        const users = new Set(await page.locator('table.sessions tbody tr td:nth-child(2)').allTextContents());
        assert.equal(users.size, 1, `a member sees only their own sessions, saw ${[...users]}`);
      }
      await page.context().close();
    });
  }

  test('the org selector switches org and keeps the page and range', async () => {
    const page = await open('SUPPORT', '/org/demo-1/sessions?days=7');
    await page.getByRole('heading', { name: /^Sessions/ }).waitFor();
    await page.getByLabel('Org').selectOption({ label: 'Globex (demo)' });
    await page.waitForFunction(() => location.hash.startsWith('#/org/demo-2/sessions'));
    assert.match(await page.evaluate(() => location.hash), /days=7/);
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: /^Globex \(demo\)/ }).waitFor();
    await page.context().close();
  });
});

describe('sign-in', () => {
  test('pasting a token signs in; signing out returns to sign-in', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByLabel('Your token').fill(server.token('MANAGER', { org: 'demo-1' }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /^Acme \(demo\)/ }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to agentmon' }).waitFor();
    await context.close();
  });

  test('an expired token goes back to sign-in with a message', async () => {
    const page = await signedIn(browser, server, server.expiredToken(), '/org/demo-1/overview?days=30');
    await page.getByRole('heading', { name: 'Sign in to agentmon' }).waitFor();
    assert.match(await page.getByRole('alert').textContent(), /expired/);
    assert.equal(await page.evaluate(() => localStorage.getItem('agentmon.token')), null, 'the expired token is forgotten');
    await page.context().close();
  });

  test('a token that is not a token is refused with a message', async () => {
    const page = await signedIn(browser, server, 'not-a-token', '/org/demo-1/overview');
    await page.getByRole('heading', { name: 'Sign in to agentmon' }).waitFor();
    assert.ok((await page.getByRole('alert').textContent()).length > 10);
    await page.context().close();
  });
});

// Each role sees exactly its navigation, opens what it may and is refused
// the rest; the org selector switches org; sign-in by pasting a token; an
// expired or bad token sends the viewer back to sign-in with a message.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withDashboard } from './suite.js';
import { card, expectAccessible, newPage, number, shift, signedIn, today } from './browser.js';

let server;
let browser;
let admin;
let member;
let other;

withDashboard(async (s, b) => {
  [server, browser] = [s, b];
  admin = server.token('SUPER_ADMIN');
  const { org } = await server.gql(admin, '{ org(slug: "demo-1") { users(range: {from: "2020-01-01", to: "2030-01-01"}, first: 2) { edges { node { user { id name } } } } } }');
  [member, other] = org.users.edges.map((e) => e.node.user);
});

// What each role's navigation shows, what it opens, what it is refused.
const ROLES = {
  MEMBER: {
    nav: ['Overview', 'Sessions', 'Me'], orgSelector: false,
    allowed: ['/org/demo-1/overview', '/org/demo-1/sessions'],
    refused: ['/org/demo-1/users', () => `/org/demo-1/users/${other.id}`, '/org/demo-2/overview', '/global'],
  },
  MANAGER: {
    nav: ['Overview', 'Sessions', 'Users', 'Alerts'], orgSelector: false,
    allowed: ['/org/demo-1/users', () => `/org/demo-1/users/${other.id}`],
    refused: ['/org/demo-2/overview', '/org/demo-2/sessions', '/org/demo-2/users', '/global'],
  },
  ORG_ADMIN: {
    nav: ['Overview', 'Sessions', 'Users', 'Alerts', 'Admin'], orgSelector: false,
    allowed: ['/org/demo-1/users'],
    refused: ['/org/demo-3/users', '/global'],
  },
  SUPPORT: {
    nav: ['Overview', 'Sessions', 'Users', 'Alerts'], orgSelector: true,
    allowed: ['/org/demo-3/users', '/org/demo-2/sessions'],
    refused: ['/global'],
  },
  SUPER_ADMIN: {
    nav: ['Overview', 'Sessions', 'Users', 'Alerts', 'Admin', 'Fleet'], orgSelector: true,
    allowed: ['/global', '/org/demo-3/overview'],
    refused: [],
  },
};

function tokenFor(role) {
  const org = ['MEMBER', 'MANAGER', 'ORG_ADMIN'].includes(role) ? 'demo-1' : undefined;
  return server.token(role, { org, sub: role === 'MEMBER' ? member.id : `a-${role.toLowerCase()}` });
}

/** Opens `path` afresh (a full load, so nothing of the page before remains). */
async function visit(page, path) {
  await page.goto(`${server.url}/#${path}?days=30`);
  await page.reload();
}

const shown = (page) => page.locator('main .card, main table, main .empty').first();
const refusal = (page) => page.getByRole('alert').filter({ hasText: 'Not allowed' });

describe('navigation by role', () => {
  for (const [role, expected] of Object.entries(ROLES)) {
    test(`${role} sees ${expected.nav.join(', ')}, opens what it may and is refused the rest`, async () => {
      const page = await signedIn(browser, server, tokenFor(role), '/org/demo-1/overview?days=30');
      await page.locator('nav[aria-label="Pages"] a').first().waitFor();
      assert.deepEqual(await page.locator('nav[aria-label="Pages"] a').allTextContents(), expected.nav);
      assert.equal(await page.getByLabel('Org', { exact: true }).count(), expected.orgSelector ? 1 : 0);
      for (const entry of expected.allowed) {
        const path = typeof entry === 'function' ? entry() : entry;
        await visit(page, path);
        await shown(page).waitFor();
        assert.equal(await refusal(page).count(), 0, `${role} may open ${path}`);
      }
      for (const entry of expected.refused) {
        const path = typeof entry === 'function' ? entry() : entry;
        await visit(page, path);
        await refusal(page).waitFor({ timeout: 5_000 });
        assert.equal(await page.locator('main .card, main table').count(), 0, `${role} sees no figures on ${path}`);
      }
      if (expected.refused.length) await expectAccessible(page, 'on a refusal');
    });
  }

  test('a MEMBER opens their own page through "Me" and sees only their own sessions', async () => {
    const page = await signedIn(browser, server, tokenFor('MEMBER'), '/org/demo-1/overview?days=90');
    await page.getByRole('link', { name: 'Me', exact: true }).click();
    await page.waitForFunction((id) => location.hash.startsWith(`#/org/demo-1/users/${id}`), member.id);
    await page.getByRole('heading', { level: 1, name: member.name }).waitFor();
    // Their Sessions card is their own count over the range the page shows (the last 90 days; demo-1 is in UTC).
    assert.match(await page.evaluate(() => location.hash), /days=90/);
    const { org } = await server.gql(admin, `query($id: String!, $r: DateRange!) { org(slug: "demo-1") { user(id: $id) {
      stats(range: $r) { sessions } } } }`, { id: member.id, r: { from: shift(today('UTC'), -89), to: today('UTC') } });
    assert.ok(org.user.stats.sessions > 0, 'the member has sessions in the range');
    assert.equal(number(await card(page, 'Sessions')), org.user.stats.sessions);

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Sessions' }).click();
    await page.locator('table.sessions tbody tr').first().waitFor();
    const users = new Set(await page.locator('table.sessions tbody tr td:nth-child(2)').allTextContents());
    assert.deepEqual([...users], [member.name], 'a member sees only their own sessions');

    // `g u` takes a member to their own page, not to the users list they may not open.
    await page.keyboard.press('g');
    await page.keyboard.press('u');
    await page.waitForFunction((id) => location.hash.startsWith(`#/org/demo-1/users/${id}`), member.id);
  });

  test('the org selector switches org and keeps the page and range', async () => {
    const page = await signedIn(browser, server, tokenFor('SUPPORT'), '/org/demo-1/sessions?days=7');
    await page.locator('table.sessions tbody tr').first().waitFor();
    await page.getByLabel('Org', { exact: true }).selectOption({ label: 'Globex (demo)' });
    await page.waitForFunction(() => location.hash.startsWith('#/org/demo-2/sessions'));
    assert.match(await page.evaluate(() => location.hash), /days=7/);
    const { org } = await server.gql(admin, '{ org(slug: "demo-2") { sessions(first: 1) { edges { node { id } } } } }');
    await page.getByRole('link', { name: org.sessions.edges[0].node.id }).waitFor();
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: /^Globex \(demo\)/ }).waitFor();
  });
});

describe('sign-in', () => {
  const signInHeading = (page) => page.getByRole('heading', { name: 'Sign in to agentmon' });
  const kept = (page) => page.evaluate(() => localStorage.getItem('agentmon.token'));

  test('pasting a token signs in; signing out returns to sign-in', async () => {
    const page = await newPage(browser);
    await page.goto(server.url);
    await signInHeading(page).waitFor();
    await expectAccessible(page, 'on the sign-in page');
    await page.getByLabel('Your token').fill('just some words');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.match(await page.getByRole('alert').textContent(), /not a token/);
    await page.getByLabel('Your token').fill(server.token('MANAGER', { org: 'demo-1' }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /^Acme \(demo\)/ }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInHeading(page).waitFor();
    assert.equal(await kept(page), null, 'signing out forgets the token');
  });

  test('an expired token goes back to sign-in with a message', async () => {
    const page = await signedIn(browser, server, server.expiredToken(), '/org/demo-1/overview?days=30');
    await signInHeading(page).waitFor();
    assert.match(await page.getByRole('alert').textContent(), /expired/);
    assert.equal(await kept(page), null, 'the expired token is forgotten');
    await expectAccessible(page, 'on the sign-in page with a message');
  });

  test('a token that expires while the dashboard is open leads to sign-in with the reason', async () => {
    const page = await signedIn(browser, server, server.token('MANAGER', { org: 'demo-1' }), '/org/demo-1/overview?days=30');
    await page.locator('.card').first().waitFor();
    // Every GraphQL request from here on is counted when sent, and again once the dashboard has
    // read its answer and acted on it: a task after the body is read, then two frames and a task,
    // by when what it rendered has run its effects (Preact runs them after the next frame).
    await page.evaluate(() => {
      window.graphql = { sent: 0, handled: 0 };
      const send = window.fetch;
      window.fetch = async (...args) => {
        const counted = String(args[0]).endsWith('/graphql');
        if (counted) window.graphql.sent += 1;
        const done = () => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => { window.graphql.handled += 1; }))));
        let response;
        try {
          response = await send(...args);
        } catch (error) {
          if (counted) done();
          throw error;
        }
        if (counted) {
          const json = response.json.bind(response);
          response.json = () => {
            const body = json();
            body.then(done, done);
            return body;
          };
        }
        return response;
      };
    });
    await page.evaluate((expired) => localStorage.setItem('agentmon.token', expired), server.expiredToken('MANAGER', 'demo-1'));
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Sessions' }).click();
    await signInHeading(page).waitFor();
    assert.match(await page.getByRole('alert').textContent(), /expired/);
    // Signed out, the dashboard sends nothing more: once every request sent with the expired token
    // has been answered and handled, nothing is left that could move the page away from sign-in.
    await page.waitForFunction(() => window.graphql.sent > 0 && window.graphql.handled === window.graphql.sent);
    assert.match(await page.evaluate(() => location.hash), /^#\/signin/, 'the sign-in page stays');
    assert.equal(await signInHeading(page).count(), 1);
    assert.equal(await kept(page), null);
  });

  test('a token the server does not accept is refused with its reason', async () => {
    const page = await signedIn(browser, server, 'eyJub3Q.eyJyZWFs.c2lnbmF0dXJl', '/org/demo-1/overview');
    await signInHeading(page).waitFor();
    assert.match(await page.getByRole('alert').textContent(), /token/i);
    assert.equal(await kept(page), null);
  });

  test('a sign-in link asks before it signs another person in over the one signed in', async () => {
    const mine = server.token('MANAGER', { org: 'demo-1', sub: 'mo-manager' });
    const theirs = server.token('MEMBER', { org: 'demo-1', sub: 'ola-member' });
    const page = await signedIn(browser, server, mine, '/org/demo-1/overview?days=30');
    await page.locator('.card').first().waitFor();
    assert.equal(await kept(page), mine, 'a first link signs in without a question');
    // A new load of the dashboard (another query string) with the other link.
    const open = async (n) => {
      await page.goto(`${server.url}/?visit=${n}#/org/demo-1/overview?days=30&token=${encodeURIComponent(theirs)}`);
      await page.locator('.card').first().waitFor();
    };
    const asked = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      dialog.dismiss();
    });
    await open(1);
    assert.equal(asked.length, 1, 'the link asked');
    assert.match(asked[0], /signs you in as ola-member \(MEMBER of demo-1\).*signed in as mo-manager \(MANAGER of demo-1\)/);
    assert.equal(await kept(page), mine, 'declined: still signed in as before');
    assert.ok(!(await page.evaluate(() => location.hash)).includes('token='), 'the token leaves the address');
    page.once('dialog', (dialog) => dialog.accept());
    await open(2);
    assert.equal(await kept(page), theirs, 'accepted: the link signs in');
  });
});

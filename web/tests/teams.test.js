// Teams: an ORG_ADMIN creates one on the Admin → Teams tab and chooses two
// members; the team selector then shows the team's figures on the overview,
// users and sessions pages, equal to the API's; the overview compares the
// teams; deleting the team removes it from the selector. The teams tab and
// a team's overview pass axe-core at 1280 and 390 px, light and dark;
// screenshots go to TEAMS_SHOTS (default /tmp/teams-shots).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withDashboard } from './suite.js';
import { card, expectAccessible, ms, number, shift, signedIn, today, until } from './browser.js';

const SHOTS = process.env.TEAMS_SHOTS ?? '/tmp/teams-shots';
mkdirSync(SHOTS, { recursive: true });

let server;
let browser;
let orgAdmin;
let chosen;
let team;
const name = `Platform ${randomUUID().slice(0, 6)}`;
// demo-1 counts its days in UTC.
const range = { from: shift(today('UTC'), -29), to: today('UTC') };
const nameOf = (u) => u.name ?? u.id;

withDashboard(async (s, b) => {
  [server, browser] = [s, b];
  const superAdmin = server.token('SUPER_ADMIN');
  const { org } = await server.gql(superAdmin, 'query($r: DateRange!) { org(slug: "demo-1") { users(range: $r, first: 3) { edges { node { user { id name } } } } } }', { r: range });
  const [admin, ...others] = org.users.edges.map((e) => e.node.user);
  chosen = others.slice(0, 2);
  assert.equal(chosen.length, 2, 'the demo org has three users active in the last 30 days');
  orgAdmin = server.token('ORG_ADMIN', { org: 'demo-1', sub: admin.id });
});

const teamFigures = async () => (await server.gql(orgAdmin, `query($t: ID!, $r: DateRange!) { org(slug: "demo-1") { team(id: $t) {
  members { id } overview(range: $r) { kpis { sessions runs successRate costUsd durationP50Ms } } } } }`, { t: team.id, r: range })).org.team;

/** The page is loaded: its heading shown, no skeleton left. */
async function loaded(page) {
  await page.locator('main h1').waitFor();
  await page.locator('main .skeleton').waitFor({ state: 'detached' });
}

/** The names in the team selector, once it has loaded the teams. */
async function teamOptions(page) {
  const select = page.locator('header').getByLabel('Team');
  await page.locator('header select:not([aria-busy])', { has: page.locator('option', { hasText: 'Whole org' }) }).waitFor();
  return select.locator('option').allTextContents();
}

describe('teams', () => {
  test('an ORG_ADMIN creates a team, chooses two members and sees it in the team selector', async () => {
    const page = await signedIn(browser, server, orgAdmin, '/org/demo-1/admin/teams?days=30');
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Teams' }).waitFor();
    await loaded(page);
    // The server's refusal shows beside the form.
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.getByRole('form', { name: 'Create team' }).getByRole('alert').waitFor();

    await page.getByLabel('Team name').fill(name);
    await page.getByRole('button', { name: 'Create team' }).click();
    const editor = page.getByRole('region', { name: `Members of ${name}` });
    await editor.waitFor();
    // The search box narrows the list; a choice stays made when the search changes.
    for (const user of chosen) {
      await editor.getByLabel('Find people').fill(user.id);
      await editor.locator('.checks label', { hasText: user.id }).getByRole('checkbox').check();
    }
    await editor.getByLabel('Find people').fill('');
    assert.match(await editor.locator('legend').textContent(), /^2 chosen/);
    await editor.getByRole('button', { name: 'Save members' }).click();
    await page.getByRole('status').filter({ hasText: `Saved: ${name} has 2 members.` }).waitFor();
    const row = page.locator('tbody tr', { hasText: name });
    await until(async () => (await row.locator('td').first().textContent()).startsWith('2 · '), 'the row to list two members');

    const { org } = await server.gql(orgAdmin, '{ org(slug: "demo-1") { teams { id name members { id } } } }');
    team = org.teams.find((t) => t.name === name);
    assert.deepEqual(team.members.map((m) => m.id).sort(), chosen.map((u) => u.id).sort(), 'the API lists the two members');

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Overview' }).click();
    await loaded(page);
    assert.ok((await teamOptions(page)).includes(name), 'the team is in the selector');
  });

  test('with the team chosen, the overview, users and sessions show the team’s figures', async () => {
    const page = await signedIn(browser, server, orgAdmin, '/org/demo-1/overview?days=30');
    await loaded(page);
    await page.locator('header').getByLabel('Team').selectOption({ label: name });
    await page.waitForFunction((id) => location.hash.includes(`team=${encodeURIComponent(id)}`), team.id);
    await page.locator('main h1', { hasText: `Team ${name}` }).waitFor();
    await loaded(page);
    const k = (await teamFigures()).overview.kpis;
    assert.ok(k.sessions > 0, 'the team has sessions in the range');
    assert.equal(number(await card(page, 'Sessions')), k.sessions);
    assert.equal(number(await card(page, 'Runs')), k.runs);

    // The team goes with the viewer to the users page.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Users' }).click();
    await page.locator('main h1', { hasText: `Users of team ${name}` }).waitFor();
    await loaded(page);
    const users = await page.locator('main tbody tr td:first-child').allTextContents();
    assert.deepEqual(users.sort(), chosen.map(nameOf).sort(), 'only the team’s members');

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Sessions' }).click();
    await page.locator('main h1', { hasText: `Sessions of team ${name}` }).waitFor();
    await page.locator('table.sessions tbody tr').first().waitFor();
    const filter = { range: { from: `${range.from}T00:00:00.000Z`, to: `${shift(range.to, 1)}T00:00:00.000Z` }, team: team.id };
    const { org } = await server.gql(orgAdmin, 'query($f: SessionFilter) { org(slug: "demo-1") { sessions(filter: $f) { totalCount } } }', { f: filter });
    assert.equal(number(await page.locator('main h1 small').textContent()), org.sessions.totalCount);
    const shown = new Set(await page.locator('table.sessions tbody td[data-label="User"]').allTextContents());
    assert.ok([...shown].every((u) => chosen.map(nameOf).includes(u)), `only the members’ sessions: ${[...shown]}`);
  });

  test('the overview compares the teams with the API’s figures; a row opens the team', async () => {
    const page = await signedIn(browser, server, orgAdmin, '/org/demo-1/overview?days=30');
    const row = page.locator('table.teams tbody tr', { hasText: name });
    await row.waitFor();
    const k = (await teamFigures()).overview.kpis;
    const cells = (await row.locator('td').allTextContents()).map((c) => c.trim());
    assert.equal(cells[0], name);
    assert.equal(number(cells[1]), k.sessions);
    assert.equal(number(cells[2]), k.runs);
    assert.equal(cells[3], k.successRate == null ? '—' : `${(k.successRate * 100).toFixed(1)} %`);
    assert.ok(Math.abs(number(cells[4]) - Number(k.costUsd)) <= 0.005 + 1e-9, `cost ${cells[4]} for ${k.costUsd}`);
    assert.ok(Math.abs(ms(cells[5]) - k.durationP50Ms) <= 0.05 * k.durationP50Ms + 1, `p50 ${cells[5]} for ${k.durationP50Ms}`);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.locator('section[aria-labelledby="teams"]').screenshot({ path: join(SHOTS, `overview-compare-${width}-light.png`) });
    }
    await row.getByRole('link', { name }).click();
    await page.locator('main h1', { hasText: `Team ${name}` }).waitFor();
    assert.ok(page.url().includes(`team=${encodeURIComponent(team.id)}`));
  });

  test('the teams tab and a team’s overview pass axe-core at 1280 and 390 px, light and dark', async () => {
    const pages = [
      ['teams-tab', '/org/demo-1/admin/teams?days=30'],
      ['overview-team', `/org/demo-1/overview?days=30&team=${encodeURIComponent(team.id)}`],
    ];
    for (const colorScheme of ['light', 'dark']) {
      for (const width of [1280, 390]) {
        for (const [what, path] of pages) {
          const page = await signedIn(browser, server, orgAdmin, path, { colorScheme, viewport: { width, height: 900 } });
          await loaded(page);
          if (what === 'teams-tab') {
            await page.getByRole('button', { name: `Edit members of ${name}` }).click();
            await page.getByRole('region', { name: `Members of ${name}` }).waitFor();
          } else {
            await page.locator('.card').first().waitFor();
          }
          const where = `on ${what} at ${width} px, ${colorScheme}`;
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
          assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px ${where}`);
          await expectAccessible(page, where);
          await page.screenshot({ path: join(SHOTS, `${what}-${width}-${colorScheme}.png`), fullPage: true });
          await page.context().close();
        }
      }
    }
  });

  test('deleting the team, after the confirmation, removes it from the selector', async () => {
    const page = await signedIn(browser, server, orgAdmin, '/org/demo-1/admin/teams?days=30');
    await loaded(page);
    await page.getByRole('button', { name: `Delete team ${name}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: `Delete the team “${name}”?` }).waitFor();
    await dialog.getByRole('button', { name: 'Delete team' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: `Deleted team ${name}.` }).waitFor();
    await page.locator('tbody tr', { hasText: name }).waitFor({ state: 'detached' });
    const { org } = await server.gql(orgAdmin, '{ org(slug: "demo-1") { teams { id } } }');
    assert.ok(!org.teams.some((t) => t.id === team.id), 'the API no longer lists it');

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Overview' }).click();
    await loaded(page);
    assert.ok(!(await teamOptions(page)).includes(name), 'the team is gone from the selector');
    assert.equal(await page.locator('table.teams').count(), 0, 'no comparison without teams');
  });
});

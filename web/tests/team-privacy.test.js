// Teams and a MEMBER's privacy: the server refuses a MEMBER the figures of
// a team that has one member besides them (they would be that person's
// figures). The overview's team comparison shows the other teams' figures
// and a "hidden" row for such a team; its overview page explains why; a
// MANAGER sees its figures. The comparison as a MEMBER passes axe-core at
// 1280 and 390 px, light and dark; screenshots go to TEAM_PRIVACY_SHOTS
// (default /tmp/shots-team-privacy).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withDashboard } from './suite.js';
import { card, expectAccessible, number, shift, signedIn, today } from './browser.js';

const SHOTS = process.env.TEAM_PRIVACY_SHOTS ?? '/tmp/shots-team-privacy';
mkdirSync(SHOTS, { recursive: true });

let server;
let browser;
let orgAdmin;
let member;
let manager;
let viewer;
const suffix = randomUUID().slice(0, 6);
// A team of three, one of one other user, one of the viewer and one other.
const teams = { crew: { name: `Crew ${suffix}` }, solo: { name: `Solo ${suffix}` }, pair: { name: `Pair ${suffix}` } };
// demo-1 counts its days in UTC.
const range = { from: shift(today('UTC'), -29), to: today('UTC') };

withDashboard(async (s, b) => {
  [server, browser] = [s, b];
  const superAdmin = server.token('SUPER_ADMIN');
  const { org } = await server.gql(superAdmin, 'query($r: DateRange!) { org(slug: "demo-1") { users(range: $r, first: 7) { edges { node { user { id } } } } } }', { r: range });
  const ids = org.users.edges.map((e) => e.node.user.id);
  assert.equal(ids.length, 7, 'the demo org has seven users active in the last 30 days');
  viewer = ids[1];
  orgAdmin = server.token('ORG_ADMIN', { org: 'demo-1', sub: ids[0] });
  member = server.token('MEMBER', { org: 'demo-1', sub: viewer });
  manager = server.token('MANAGER', { org: 'demo-1', sub: viewer });
  const members = { crew: ids.slice(2, 5), solo: [ids[5]], pair: [viewer, ids[6]] };
  for (const [key, team] of Object.entries(teams)) {
    team.id = (await server.gql(orgAdmin, 'mutation($n: String!) { createTeam(org: "demo-1", name: $n) { id } }', { n: team.name })).createTeam.id;
    await server.gql(orgAdmin, 'mutation($t: ID!, $u: [ID!]!) { setTeamMembers(org: "demo-1", team: $t, userIds: $u) { id } }', { t: team.id, u: members[key] });
  }
});

const kpis = async (team) => (await server.gql(orgAdmin, `query($t: ID!, $r: DateRange!) { org(slug: "demo-1") { team(id: $t) {
  overview(range: $r) { kpis { sessions runs } } } } }`, { t: team.id, r: range })).org.team.overview.kpis;

const row = (page, team) => page.locator('table.teams tbody tr', { hasText: team.name });
const cells = async (page, team) => (await row(page, team).locator('td').allTextContents()).map((c) => c.trim());

/** The page is loaded: its heading shown, no skeleton left. */
async function loaded(page) {
  await page.locator('main h1').waitFor();
  await page.locator('main .skeleton').waitFor({ state: 'detached' });
}

describe('a team of one member besides a MEMBER', () => {
  test('the API refuses a MEMBER its figures, and only its figures', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${member}` },
      body: JSON.stringify({ query: 'query($r: DateRange!) { org(slug: "demo-1") { teams { id overview(range: $r) { kpis { sessions } } } } }', variables: { r: range } }),
    });
    const body = await response.json();
    const refused = body.errors.map((e) => e.extensions.code);
    assert.deepEqual(refused, ['FORBIDDEN', 'FORBIDDEN'], 'the solo and pair teams are refused');
    const crew = body.data.org.teams.find((t) => t.id === teams.crew.id);
    assert.ok(crew.overview.kpis.sessions > 0, 'the other teams keep their figures in the same answer');
  });

  test('as a MEMBER, the comparison shows the other teams’ figures and a hidden row for it', async () => {
    const page = await signedIn(browser, server, member, '/org/demo-1/overview?days=30');
    await row(page, teams.crew).waitFor();
    const k = await kpis(teams.crew);
    const crew = await cells(page, teams.crew);
    assert.equal(crew[0], teams.crew.name);
    assert.equal(number(crew[1]), k.sessions);
    assert.equal(number(crew[2]), k.runs);
    for (const team of [teams.solo, teams.pair]) {
      assert.deepEqual(await cells(page, team), [team.name, 'Figures hidden: one member besides you — for managers and up.']);
      assert.equal(await row(page, team).getByRole('link').count(), 0, 'a hidden team’s row opens nothing');
    }
    assert.equal(await page.getByRole('alert').count(), 0, 'no error on the page');
    await page.context().close();

    for (const colorScheme of ['light', 'dark']) {
      for (const width of [1280, 390]) {
        const shot = await signedIn(browser, server, member, '/org/demo-1/overview?days=30', { colorScheme, viewport: { width, height: 900 } });
        await row(shot, teams.solo).waitFor();
        const where = `at ${width} px, ${colorScheme}`;
        const overflow = await shot.evaluate(() => document.documentElement.scrollWidth - innerWidth);
        assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px ${where}`);
        await expectAccessible(shot, where);
        await shot.locator('section[aria-labelledby="teams"]').screenshot({ path: join(SHOTS, `compare-member-${width}-${colorScheme}.png`) });
        await shot.context().close();
      }
    }
  });

  test('as a MEMBER, its overview page explains why there are no figures', async () => {
    for (const team of [teams.solo, teams.pair]) {
      const page = await signedIn(browser, server, member, `/org/demo-1/overview?days=30&team=${encodeURIComponent(team.id)}`);
      await page.locator('main h1', { hasText: `Team ${team.name}` }).waitFor();
      const note = page.getByRole('note', { name: `The figures of ${team.name} are hidden from you` });
      await note.waitFor();
      assert.match(await note.textContent(), new RegExp(`${team.name} has one member besides you, so its figures would be that person’s own. Other people’s figures are for managers and up.`));
      assert.equal(await page.getByRole('alert').count(), 0, 'not an error');
      assert.equal(await page.locator('main .card').count(), 0, 'no figures');
      await page.screenshot({ path: join(SHOTS, `team-member-${team === teams.solo ? 'solo' : 'pair'}.png`), fullPage: true });
      await expectAccessible(page, `on the page of ${team.name}`);
      if (team === teams.solo) {
        await note.getByRole('link', { name: 'your own figures' }).click();
        await page.waitForFunction((id) => location.hash.includes(`/users/${id}`), viewer);
        await page.goBack();
        await note.getByRole('link', { name: /the whole of/ }).click();
        await page.waitForFunction(() => !location.hash.includes('team='));
        await row(page, teams.crew).waitFor();
      }
      await page.context().close();
    }
    // A team of more members shows a MEMBER its figures, said to be the team's.
    const page = await signedIn(browser, server, member, `/org/demo-1/overview?days=30&team=${encodeURIComponent(teams.crew.id)}`);
    await page.locator('main h1', { hasText: `Team ${teams.crew.name}` }).waitFor();
    await loaded(page);
    assert.equal(number(await card(page, 'Sessions')), (await kpis(teams.crew)).sessions);
    await page.locator('main .notice', { hasText: `These are the figures of the members of ${teams.crew.name} together.` }).waitFor();
  });

  test('a MANAGER sees its figures, in the comparison and on its page', async () => {
    const page = await signedIn(browser, server, manager, '/org/demo-1/overview?days=30');
    await row(page, teams.solo).waitFor();
    for (const team of [teams.solo, teams.pair]) {
      const k = await kpis(team);
      const shown = await cells(page, team);
      assert.equal(shown.length, 6, 'a row of figures');
      assert.equal(number(shown[1]), k.sessions);
      assert.equal(number(shown[2]), k.runs);
    }
    await row(page, teams.solo).getByRole('link', { name: teams.solo.name }).click();
    await page.locator('main h1', { hasText: `Team ${teams.solo.name}` }).waitFor();
    await loaded(page);
    assert.equal(number(await card(page, 'Sessions')), (await kpis(teams.solo)).sessions);
    assert.equal(await page.getByRole('note').count(), 0, 'nothing hidden');
  });
});

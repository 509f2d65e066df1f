// Adoption on the overview: members who used an agent, new and returning
// users. The test reads a demo org's adoption once, then adds people of
// its own — two given a role who send events in the range (one of them
// also 20 days before it), one with a role and nothing in the range, one
// without a role — and checks each card against the figures before plus
// what it knows of its people; then the same on a team made of its people
// only, where it knows every figure. Screenshots at 1280 and 390 px, light
// and dark, go to ADOPTION_SHOTS (default /tmp/shots-adoption).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withDashboard } from './suite.js';
import { expectAccessible, shift, signedIn, today, until } from './browser.js';

const SHOTS = process.env.ADOPTION_SHOTS ?? '/tmp/shots-adoption';
mkdirSync(SHOTS, { recursive: true });

const ORG = 'demo-2';
let server;
let browser;
let admin;

withDashboard((s, b) => {
  [server, browser] = [s, b];
  admin = server.token('SUPER_ADMIN', { sub: 'adoption-admin' });
});

const uid = randomUUID().slice(0, 8);
const person = (name) => `adoption-${name}-${uid}`;
const FIELDS = 'members activeMembers memberShare activeUsers newUsers returningUsers';
const fmt = (n) => n.toLocaleString('en-US');
const pct = (r) => `${(r * 100).toFixed(1)} %`;

async function adoption(r, team) {
  const q = team
    ? `query($r: DateRange!, $t: ID!) { org(slug: "${ORG}") { team(id: $t) { overview(range: $r) { adoption { ${FIELDS} } } } } }`
    : `query($r: DateRange!) { org(slug: "${ORG}") { overview(range: $r) { adoption { ${FIELDS} } } } }`;
  const { org } = await server.gql(admin, q, { r, t: team });
  return (team ? org.team : org).overview.adoption;
}

let ready = null;

/** Sends the people's events, gives roles, makes their team; returns the range, the figures before, and the team. */
function setUp() {
  ready ??= (async () => {
    const { org: { timezone } } = await server.gql(admin, `{ org(slug: "${ORG}") { timezone } }`);
    const r = { from: shift(today(timezone), -6), to: today(timezone) };
    const before = await adoption(r);
    const at = (days) => new Date(Date.now() - days * 86_400_000 - 3_600_000).toISOString();
    const events = [['back', 27], ['back', 2], ['fresh', 1], ['idle', 25], ['guest', 1]].map(([name, days]) => ({
      org: ORG, eventId: randomUUID(), type: 'SESSION_STARTED', sessionId: `adoption-${name}-${days}-${uid}`, userId: person(name), occurredAt: at(days),
    }));
    const { ingestEvents } = await server.gql(server.ingestToken(), 'mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted } }', { e: events });
    assert.equal(ingestEvents.accepted, events.length);
    await server.settled();
    await until(async () => (await adoption(r)).activeUsers === before.activeUsers + 3, 'the events to be projected', 30_000);
    for (const name of ['back', 'fresh', 'idle']) {
      await server.gql(admin, 'mutation($o: String!, $u: String!) { setUserRole(org: $o, userId: $u, role: MEMBER) { id } }', { o: ORG, u: person(name) });
    }
    const { createTeam } = await server.gql(admin, 'mutation($o: String!, $n: String!) { createTeam(org: $o, name: $n) { id } }', { o: ORG, n: `Adoption ${uid}` });
    await server.gql(admin, 'mutation($o: String!, $t: ID!, $u: [String!]!) { setTeamMembers(org: $o, team: $t, userIds: $u) { id } }',
      { o: ORG, t: createTeam.id, u: ['back', 'fresh', 'idle', 'guest'].map(person) });
    return { r, before, team: createTeam.id };
  })();
  return ready;
}

async function cards(page) {
  const section = page.locator('section[aria-labelledby="adoption"]');
  await section.locator('.card').first().waitFor();
  const read = async (label) => {
    const card = section.locator('.card', { has: page.locator('.label', { hasText: new RegExp(`^${label}$`) }) });
    return { value: (await card.locator('.value').textContent()).trim(), change: (await card.locator('.change').count()) ? (await card.locator('.change').textContent()).trim() : null };
  };
  return { members: await read('Members using agents'), fresh: await read('New users'), back: await read('Returning users') };
}

describe('adoption on the overview', () => {
  test('the org’s cards add the test’s people to the figures before', async () => {
    const { before } = await setUp();
    // Three people with a role (two active in the range), three active users: two new, one returning.
    const want = { members: before.members + 3, active: before.activeMembers + 2, fresh: before.newUsers + 2, back: before.returningUsers + 1 };
    const page = await signedIn(browser, server, admin, `/org/${ORG}/overview?days=7`);
    const shown = await cards(page);
    assert.equal(shown.members.value, `${fmt(want.active)} of ${fmt(want.members)}`);
    assert.equal(shown.members.change, `${pct(want.active / want.members)} of the org’s members`);
    assert.equal(shown.fresh.value, fmt(want.fresh));
    assert.equal(shown.back.value, fmt(want.back));
    await expectAccessible(page, 'with adoption');
  });

  test('a team of the test’s people shows exactly them', async () => {
    const { team } = await setUp();
    const page = await signedIn(browser, server, admin, `/org/${ORG}/overview?days=7&team=${encodeURIComponent(team)}`);
    const shown = await cards(page);
    // Four members, three of them active in the range (idle is not): fresh and guest new, back returning.
    assert.equal(shown.members.value, '3 of 4');
    assert.equal(shown.members.change, `${pct(3 / 4)} of the team’s members`);
    assert.equal(shown.fresh.value, '2');
    assert.equal(shown.back.value, '1');
  });

  test('at 1280 and 390 px, light and dark, adoption is readable and photographed', async () => {
    await setUp();
    for (const colorScheme of ['light', 'dark']) {
      for (const width of [1280, 390]) {
        const page = await signedIn(browser, server, admin, `/org/${ORG}/overview?days=90`, { colorScheme, viewport: { width, height: 900 } });
        const section = page.locator('section[aria-labelledby="adoption"]');
        await section.locator('table.months tbody tr').first().waitFor();
        assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), `no sideways scroll at ${width} px`);
        await expectAccessible(page, `at ${width} px, ${colorScheme}`);
        await section.screenshot({ path: join(SHOTS, `adoption-${width}-${colorScheme}.png`) });
        await page.context().close();
      }
    }
  });
});

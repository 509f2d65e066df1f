// Alerts and budgets in the dashboard. An ORG_ADMIN adds a webhook channel
// on the Alerts page (a receiver of the test's own on loopback): its
// signing secret shows once, and signs what the receiver gets; its target
// shows no path. The ORG_ADMIN then creates a monthly budget on a team
// through the form; the test sends runs whose costs it sums, and checks
// the rule's figures, bar and state against that sum, the history and the
// deliveries, the live toast (as the page recorded it), and the budget on
// the team's overview. A MANAGER and a SUPPORT read the rules without the
// means to change them; a MEMBER gets no Alerts link, no budget and no
// subscription. A change stored while the live connection is down still
// toasts once it is back. Screenshots at 1280 and 390 px, light and dark,
// go to ALERTS_SHOTS (default /tmp/alerts-shots).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withDashboard } from './suite.js';
import { expectAccessible, newPage, number, signedIn, until } from './browser.js';
import { layoutProblems } from './layout.js';
import {
  assertBar, barOf, budgetText, card, ceilingBar, dollars, figuresOf, kept, overviewSettled, rateText, recordAlerts,
  reloadUntil, sleep, startReceiver, stateOf, stateText, toastShown,
} from './alerts-parts.js';

const SHOTS = process.env.ALERTS_SHOTS ?? '/tmp/alerts-shots';
mkdirSync(SHOTS, { recursive: true });

const ORG = 'demo-1';
const uid = randomUUID().slice(0, 6);
const USERS = { ann: `alerts-ann-${uid}`, bob: `alerts-bob-${uid}`, eve: `alerts-eve-${uid}` };
const TEAM = `Alerts team ${uid}`;
const BUDGET = `Team budget ${uid}`;
const CHANNEL = `Receiver ${uid}`;
/** The budget the form creates: $10.00 a month, WARNING from 80 %. */
const THRESHOLD_CENTS = 1000;
const WARN_PERCENT = 80;

let server;
let browser;
let orgAdmin;
let manager;
let member;
let support;
let receiver;

withDashboard(async (s, b) => {
  [server, browser] = [s, b];
  orgAdmin = server.token('ORG_ADMIN', { org: ORG, sub: `alerts-admin-${uid}` });
  manager = server.token('MANAGER', { org: ORG, sub: `alerts-manager-${uid}` });
  member = server.token('MEMBER', { org: ORG, sub: `alerts-member-${uid}` });
  support = server.token('SUPPORT', { sub: `alerts-support-${uid}` });
  receiver = await startReceiver();
}, { env: { AGENTMON_WEBHOOK_ALLOW_PRIVATE: 'true' } });
after(() => receiver?.close());

/** Runs of the test's users, finished a few seconds ago: `[user, cents, status]`. */
async function send(runs) {
  const at = new Date(Date.now() - 5_000).toISOString();
  const events = runs.flatMap(([user, cents, status]) => {
    const sessionId = `alerts-${user}-${randomUUID().slice(0, 8)}`;
    const runId = `${sessionId}-run`;
    const base = { org: ORG, sessionId, userId: USERS[user], runId, occurredAt: at };
    return [
      { ...base, eventId: randomUUID(), type: 'RUN_STARTED' },
      { ...base, eventId: randomUUID(), type: 'RUN_FINISHED', run: { status, costUsd: (cents / 100).toFixed(2) } },
    ];
  });
  const { ingestEvents } = await server.gql(server.ingestToken(), 'mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted rejected { message } } }', { e: events });
  assert.deepEqual(ingestEvents, { accepted: events.length, rejected: [] });
  await server.settled();
  sent.push(...runs);
}

/** Every run the test sent, `[user, cents, status]`. */
const sent = [];
const teamRuns = () => sent.filter(([user]) => user === 'ann' || user === 'bob');
const teamCents = () => teamRuns().reduce((total, [, cents]) => total + cents, 0);
/** The team's success rate: succeeded of the finished runs. */
const teamSuccess = () => teamRuns().filter(([, , s]) => s === 'SUCCEEDED').length / teamRuns().length;

let setup = null;
/** The team (ann and bob; eve is outside it) with a first run each, and the extra rules made over the API. */
function prepared() {
  setup ??= (async () => {
    await send([['ann', 25, 'SUCCEEDED'], ['bob', 25, 'SUCCEEDED'], ['eve', 100, 'SUCCEEDED']]);
    const { createTeam: team } = await server.gql(orgAdmin, `mutation { createTeam(org: "${ORG}", name: "${TEAM}") { id name } }`);
    await server.gql(orgAdmin, 'mutation($t: ID!, $u: [String!]!) { setTeamMembers(org: "demo-1", team: $t, userIds: $u) { id } }', { t: team.id, u: [USERS.ann, USERS.bob] });
    return { team };
  })();
  return setup;
}

/** More rules on the team (and one on the org), so every state and a floor show. */
async function extraRules(team) {
  const rules = [
    { name: `Team ceiling ${uid}`, metric: 'COST_USD', window: 'MONTH', threshold: 12, warnAt: 0.8, teamId: team.id },
    { name: `Team success floor ${uid}`, metric: 'SUCCESS_RATE', window: 'MONTH', comparison: 'BELOW', threshold: 0.8, teamId: team.id },
    { name: `Team success watch ${uid}`, metric: 'SUCCESS_RATE', window: 'WEEK', comparison: 'BELOW', threshold: 0.5, teamId: team.id },
    { name: `Org budget ${uid}`, metric: 'COST_USD', window: 'MONTH', threshold: 200, warnAt: 0.9 },
  ];
  for (const rule of rules) {
    await server.gql(orgAdmin, 'mutation($r: AlertRuleInput!) { createAlertRule(org: "demo-1", rule: $r) { id } }', { r: { channelIds: [], ...rule } });
  }
}

/**
 * Like signedIn, with the page's notifications and toasts recorded
 * (recordAlerts) and the GraphQL requests it sends over HTTP kept in
 * `page.queries`, both from its first request.
 */
async function opened(token, path, options = {}, prepare = async () => {}) {
  const page = await newPage(browser, options);
  page.queries = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/graphql') page.queries.push(r.postData() ?? '');
  });
  await page.addInitScript(recordAlerts);
  await prepare(page);
  await page.goto(`${server.url}/#${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`);
  return page;
}

async function alertsPage(token, options = {}) {
  const page = await signedIn(browser, server, token, `/org/${ORG}/alerts`, options);
  await page.getByRole('heading', { name: 'Rules', level: 2 }).waitFor();
  return page;
}

let channel = null;

describe('alerts', () => {
  test('an ORG_ADMIN adds a webhook channel: the secret shows once and signs the test delivery; the target shows no path', async () => {
    const page = await alertsPage(orgAdmin);
    const channels = page.locator('section[aria-labelledby="alert-channels"]');
    await channels.getByRole('heading', { name: 'Channels' }).waitFor();
    // A refusal of the server shows beside the form.
    await channels.getByLabel('Name').fill(CHANNEL);
    await channels.getByLabel('URL').fill('ftp://example.com/x');
    await channels.getByRole('button', { name: 'Add channel' }).click();
    await channels.locator('#channel-error').waitFor();
    assert.match(await channels.locator('#channel-error').textContent(), /http/i);

    const secretPath = `/hooks/secret-${uid}?token=abc`;
    await channels.getByLabel('URL').fill(`http://127.0.0.1:${receiver.port}${secretPath}`);
    await channels.getByRole('button', { name: 'Add channel' }).click();
    const panel = channels.locator('section.new-secret');
    await panel.waitFor();
    assert.match(await panel.textContent(), /You will not see this secret again/);
    const secret = await panel.getByLabel('Signing secret').inputValue();
    assert.ok(secret.length >= 16, `a secret is shown (${secret.length} characters)`);
    assert.ok(!(await kept(page)).includes(secret), 'the secret is not in the address or the storages');
    const row = channels.locator('tbody tr', { has: page.locator('th', { hasText: CHANNEL }) });
    assert.equal((await row.locator('td[data-label="Target"]').textContent()).trim(), `http://127.0.0.1:${receiver.port}`, 'scheme, host and port only');
    assert.ok(!(await channels.locator('table').textContent()).includes('secret-'), 'no path anywhere in the list');
    await expectAccessible(page, 'with the secret shown');

    // Test: one signed delivery the receiver checks with the secret the page showed.
    const before = receiver.got.length;
    await row.getByRole('button', { name: /^Test/ }).click();
    await row.locator('.test-result', { hasText: 'delivered' }).waitFor();
    const outcome = (await row.locator('.test-result').textContent()).replace(/\s+/g, ' ').trim();
    assert.equal(outcome, 'Test: delivered 1 attempt, HTTP 200');
    assert.equal(receiver.got.length, before + 1);
    const delivery = receiver.got.at(-1);
    assert.equal(delivery.path, secretPath, 'delivered to the whole URL');
    assert.equal(JSON.parse(delivery.body).type, 'TEST');
    assert.equal(delivery.headers['x-agentmon-signature'], `sha256=${createHmac('sha256', secret).update(delivery.body).digest('hex')}`);

    // After a reload the secret is gone for good.
    await page.reload();
    await channels.locator('tbody tr', { has: page.locator('th', { hasText: CHANNEL }) }).waitFor();
    assert.equal(await page.locator('section.new-secret').count(), 0);
    assert.ok(!(await page.locator('body').textContent()).includes(secret), 'the secret is nowhere on the page');
    assert.ok(!(await kept(page)).includes(secret), 'nor in the address or the storages');
    channel = { name: CHANNEL, secret };
  });

  test('a budget on a team, made through the form, warns then fires with the cost of the runs sent, and is notified', async () => {
    assert.ok(channel, 'the channel of the first test');
    const { team } = await prepared();
    const page = await alertsPage(orgAdmin);
    await page.getByRole('button', { name: 'New rule' }).click();
    const form = page.locator('section.rule-form');
    await form.getByLabel('Name').fill(BUDGET);
    await form.getByLabel('Metric').selectOption('COST_USD');
    await form.getByLabel('Window').selectOption('MONTH');
    await form.getByLabel('Fires when the value is').selectOption('ABOVE');
    await form.getByLabel(/^Threshold/).fill(String(THRESHOLD_CENTS / 100));
    await form.getByLabel(/^Warning at/).fill(String(WARN_PERCENT));
    await form.getByLabel('A team').check();
    await form.getByLabel(/^Team/).selectOption({ label: TEAM });
    await form.getByRole('checkbox', { name: new RegExp(CHANNEL) }).check();
    assert.equal(await form.getByRole('checkbox', { name: /Enabled:/ }).isChecked(), true);
    // The team's cost so far this month, beside the threshold: the first runs of ann and bob.
    const now = form.locator('.current-value');
    await now.filter({ hasText: /^Now:/ }).waitFor();
    assert.equal(number((await now.textContent()).match(/Now: (\S+)/)[1]), teamCents() / 100);
    await expectAccessible(page, 'with the rule form');
    await page.screenshot({ path: join(SHOTS, 'form-filled-1280-light.png'), fullPage: false });
    await form.getByRole('button', { name: 'Create rule' }).click();
    await card(page, BUDGET).waitFor();
    assert.equal(await page.locator('section.rule-form').count(), 0, 'the form closes');
    const ruleId = await card(page, BUDGET).getAttribute('data-rule');
    assert.match(await card(page, BUDGET).locator('.rule-watch').textContent(), new RegExp(`Cost of the team ${TEAM}, per month`));
    assert.equal(await card(page, BUDGET).locator('.alert-warn').textContent(), `Warning from ${dollars((THRESHOLD_CENTS * WARN_PERCENT) / 100)} (${WARN_PERCENT}\u00a0%)`);

    await extraRules(team);
    // A manager's overview waits for the toasts.
    const watcher = await opened(manager, `/org/${ORG}/overview?days=30`, { viewport: { width: 1280, height: 800 } });
    await until(() => watcher.alertSubscriptions > 0, 'the alert subscription');

    // ann 3.50 and bob 4.75 (a failed run): past the warning line; eve's 20 is not the team's.
    await send([['ann', 350, 'SUCCEEDED'], ['bob', 475, 'FAILED'], ['eve', 2000, 'SUCCEEDED']]);
    const warnedCents = teamCents();
    const warned = stateOf(warnedCents, THRESHOLD_CENTS, WARN_PERCENT);
    assert.equal(warned, 'WARNING', 'the runs were chosen to warn');
    // The toast, as it entered the screen; taken and dismissed while it shows.
    await toastShown(watcher, `${BUDGET} is at WARNING: ${dollars(warnedCents)} of ${dollars(THRESHOLD_CENTS)} (month)`);
    const toast = watcher.locator('.toasts .toast', { hasText: BUDGET });
    assert.equal(await watcher.locator('.toasts').getAttribute('role'), 'status');
    await watcher.locator('.toasts').screenshot({ path: join(SHOTS, 'toast-1280-light.png') });
    await toast.getByRole('link', { name: 'Open Alerts' }).waitFor();
    await toast.getByRole('button', { name: `Dismiss: ${BUDGET}` }).click();
    await toast.waitFor({ state: 'detached' });

    await reloadUntil(page, () => figuresOf(page, BUDGET), (text) => text === budgetText(warnedCents, THRESHOLD_CENTS), `the budget at ${warnedCents} cents`);
    assert.equal(await stateText(page, BUDGET), warned);
    // Short of its threshold the bar runs to the threshold: the fill ends at the cost, the warning line at its share.
    assertBar(await barOf(page, BUDGET), ceilingBar(warnedCents, THRESHOLD_CENTS, WARN_PERCENT), 'the warned budget');

    // bob 2.00 more, failed: past the threshold, FIRING.
    await send([['bob', 200, 'FAILED']]);
    const firedCents = teamCents();
    const fired = stateOf(firedCents, THRESHOLD_CENTS, WARN_PERCENT);
    assert.equal(fired, 'FIRING', 'the run was chosen to fire');
    await toastShown(watcher, `${BUDGET} is FIRING: ${dollars(firedCents)} of ${dollars(THRESHOLD_CENTS)} (month)`);
    await reloadUntil(page, () => figuresOf(page, BUDGET), (text) => text === budgetText(firedCents, THRESHOLD_CENTS), `the budget at ${firedCents} cents`);
    assert.equal(await stateText(page, BUDGET), fired);
    // Past it the bar runs to the cost: the fill is whole, the threshold and the warning line move in.
    assertBar(await barOf(page, BUDGET), ceilingBar(firedCents, THRESHOLD_CENTS, WARN_PERCENT), 'the fired budget');

    // The floor on the team's success rate: fires at or below 80 %.
    const floor = `Team success floor ${uid}`;
    const rate = teamSuccess();
    await reloadUntil(page, () => stateText(page, floor), (s) => s === (rate <= 0.8 ? 'FIRING' : 'OK'), 'the floor to fire');
    assert.equal(await figuresOf(page, floor), `${rateText(rate)} this month; fires at or below 80.0\u00a0%`);
    // Its bar runs from 0 to 100 %: the fill ends at the rate, the line at 80 %, the firing zone below it.
    const bar = await barOf(page, floor);
    assert.ok(Math.abs(bar.fill - rate) < 0.02, `fill at ${bar.fill}`);
    assert.ok(Math.abs(bar.line - 0.8) < 0.02, `line at ${bar.line}`);
    assert.equal(bar.warn, null, 'a floor has no warning line');
    assert.ok(bar.zone[0] < 0.01 && Math.abs(bar.zone[1] - 0.8) < 0.02, `zone ${bar.zone}`);
    // The watch at 50 % reads the week's rate (an OK before its first evaluation would read no value); the ceiling at $12 warns.
    const watch = `Team success watch ${uid}`;
    await reloadUntil(page, () => figuresOf(page, watch), (text) => text === `${rateText(rate)} this week; fires at or below 50.0\u00a0%`, 'the watch to read the rate');
    assert.equal(await stateText(page, watch), rate <= 0.5 ? 'FIRING' : 'OK');
    await reloadUntil(page, () => stateText(page, `Team ceiling ${uid}`), (s) => s === stateOf(teamCents(), 1200, 80), 'the ceiling to warn');

    // The history: FIRING then WARNING, each delivered to the channel, signed with its secret.
    const rows = page.locator(`table.alert-history tbody tr[data-rule="${ruleId}"]`);
    const deliveries = () => rows.locator('td[data-label="Deliveries"]').allTextContents();
    await reloadUntil(page, deliveries, (all) => all.length === 2 && all.every((d) => /delivered/.test(d)), 'both notifications delivered');
    const cells = (label) => rows.locator(`td[data-label="${label}"]`).allTextContents();
    assert.deepEqual((await cells('State')).map((s) => s.replace(/[✓▲●]/g, '').trim()), ['FIRING', 'WARNING']);
    assert.deepEqual(await cells('Value'), [`${dollars(firedCents)} of ${dollars(THRESHOLD_CENTS)}`, `${dollars(warnedCents)} of ${dollars(THRESHOLD_CENTS)}`]);
    for (const text of await deliveries()) assert.equal(text.replace(/\s+/g, ' ').trim(), `${CHANNEL}: delivered 1 attempt, HTTP 200`);
    const alerts = receiver.got.map((r) => ({ r, body: JSON.parse(r.body) })).filter(({ body }) => body.type === 'ALERT' && body.rule.name === BUDGET);
    assert.deepEqual(alerts.map(({ body }) => [body.state, Math.round(body.value * 100)]), [['WARNING', warnedCents], ['FIRING', firedCents]]);
    for (const { r } of alerts) assert.equal(r.headers['x-agentmon-signature'], `sha256=${createHmac('sha256', channel.secret).update(r.body).digest('hex')}`);
    // The rule's last notification is the newest.
    assert.match(await card(page, BUDGET).locator('.last-notification').textContent(), /FIRING/);
    await expectAccessible(page, 'with rules in every state');
  });

  test('the team’s overview shows its budgets; the org’s shows only the org’s', async () => {
    const { team } = await prepared();
    const page = await signedIn(browser, server, manager, `/org/${ORG}/overview?days=30&team=${team.id}`);
    const budgets = page.locator('section[aria-labelledby="budgets"]');
    await budgets.waitFor({ timeout: 20_000 });
    const item = budgets.locator('li.budget', { hasText: BUDGET });
    assert.equal(await item.locator('.alert-figures').evaluate((el) => el.firstChild.textContent.trim()), budgetText(teamCents(), THRESHOLD_CENTS));
    assert.equal(await item.locator('.alert-state').evaluate((el) => el.textContent.replace(/[✓▲●]/g, '').trim()), stateOf(teamCents(), THRESHOLD_CENTS, WARN_PERCENT));
    assert.equal(await budgets.locator('li.budget', { hasText: 'success' }).count(), 0, 'only cost rules are budgets');
    assert.equal(await budgets.getByRole('link', { name: 'Alerts' }).getAttribute('href'), `#/org/${ORG}/alerts`);
    await expectAccessible(page, 'with the team budgets');

    // The org's overview shows only the org's budget; a MEMBER's, drawn the same way, none, and never asks for the rules.
    const whole = await opened(manager, `/org/${ORG}/overview?days=30`);
    const own = await opened(member, `/org/${ORG}/overview?days=30`);
    const orgBudgets = whole.locator('section[aria-labelledby="budgets"]');
    await orgBudgets.waitFor({ timeout: 20_000 });
    assert.deepEqual(await orgBudgets.locator('.budget-name').allTextContents(), [`Org budget ${uid}`]);
    await overviewSettled(whole);
    assert.ok(whole.queries.some((q) => q.includes('alertRules')), 'a manager’s overview asks for the rules once drawn');
    await overviewSettled(own);
    assert.ok(own.queries.length > 0, 'the member’s requests are seen');
    assert.equal(own.queries.filter((q) => q.includes('alertRules')).length, 0, 'a member’s overview does not ask for the rules');
    assert.equal(await own.locator('section[aria-labelledby="budgets"]').count(), 0);
  });

  for (const role of ['MANAGER', 'SUPPORT']) {
    test(`a ${role} reads the rules and the history, without the means to change them or the channels`, async () => {
      await prepared();
      const page = await alertsPage(role === 'MANAGER' ? manager : support);
      await card(page, `Team ceiling ${uid}`).waitFor();
      await page.getByRole('heading', { name: 'History', level: 2 }).waitFor();
      await page.locator('table.alert-history tbody tr').first().waitFor();
      assert.equal(await stateText(page, BUDGET), stateOf(teamCents(), THRESHOLD_CENTS, WARN_PERCENT), 'the states read');
      assert.equal(await page.getByRole('button', { name: 'New rule' }).count(), 0);
      assert.equal(await page.locator('article.rule-card button').count(), 0, 'no Edit or Delete');
      assert.equal(await page.getByRole('heading', { name: 'Channels' }).count(), 0);
      assert.match(await page.locator('main').textContent(), /an ORG_ADMIN of the org changes them/);
      assert.equal(await page.locator('main .error').count(), 0, 'no error box or stale note');
      assert.deepEqual(page.errors.map(String), [], 'no error in the page');
      await expectAccessible(page, `for a ${role}`);
    });
  }

  test('a MEMBER gets no Alerts link, no alert subscription, and the page says it is not for them', async () => {
    const page = await opened(member, `/org/${ORG}/overview?days=30`);
    // A manager's page, opened after it, subscribes: had the member's, it would have by then.
    const control = await opened(manager, `/org/${ORG}/overview?days=30`);
    await until(() => control.alertSubscriptions > 0, 'the manager’s alert subscription');
    assert.ok(control.queries.some((q) => q.includes('alertNotifications')), 'the manager’s page reads the newest notification');
    await page.locator('nav[aria-label="Pages"] a').first().waitFor();
    assert.deepEqual(await page.locator('nav[aria-label="Pages"] a').allTextContents(), ['Overview', 'Sessions', 'Me']);
    await overviewSettled(page);
    assert.equal(page.alertSubscriptions, 0, 'no alert subscription');
    assert.equal(page.queries.filter((q) => q.includes('alertNotifications')).length, 0, 'no notification read');
    await page.goto(`${server.url}/#/org/${ORG}/alerts`);
    const refusal = page.getByRole('alert').filter({ hasText: 'Not allowed' });
    await refusal.waitFor();
    assert.match(await refusal.textContent(), /cannot see the alerts/);
  });

  test('an ORG_ADMIN edits a rule: it starts again from OK, is evaluated anew; disabled, it says so; and deletes one after confirming', async (t) => {
    const { team } = await prepared();
    const watch = `Edit me ${uid}`;
    await server.gql(orgAdmin, 'mutation($r: AlertRuleInput!) { createAlertRule(org: "demo-1", rule: $r) { id } }',
      { r: { name: watch, metric: 'SUCCESS_RATE', window: 'WEEK', comparison: 'BELOW', threshold: 0.5, teamId: team.id, channelIds: [] } });
    // A run of the team (no cost) has it evaluated now: the team's rate this week, above the floor.
    await send([['ann', 0, 'SUCCEEDED']]);
    const page = await alertsPage(orgAdmin);
    const rate = teamSuccess();
    assert.ok(rate > 0.5, `the team's rate (${rate}) is above the floor`);
    await reloadUntil(page, () => figuresOf(page, watch), (text) => text === `${rateText(rate)} this week; fires at or below 50.0\u00a0%`, 'the rule to be evaluated');
    assert.equal(await stateText(page, watch), 'OK');

    await card(page, watch).getByRole('button', { name: `Edit rule ${watch}` }).click();
    const form = page.locator('section.rule-form');
    assert.equal(await form.getByLabel(/^Threshold/).inputValue(), '50', 'a rate is edited in %');
    assert.equal(await form.getByLabel(/^Warning at/).isDisabled(), true, 'a floor has no warning line');
    // The server's refusal shows in the form.
    await form.getByLabel('Name').fill('');
    await form.getByRole('button', { name: 'Save rule' }).click();
    await form.locator('#rule-problem').waitFor();
    await form.getByLabel('Name').fill(watch);
    // A floor raised past the rate, still enabled: OK with no value until evaluated again, then FIRING.
    const raised = Math.min(100, Math.round(rate * 100) + 10);
    await form.getByLabel(/^Threshold/).fill(String(raised));
    await form.getByRole('button', { name: 'Save rule' }).click();
    await form.waitFor({ state: 'detached' });
    const fires = `fires at or below ${raised.toFixed(1)}\u00a0%`;
    await until(async () => (await figuresOf(page, watch)).endsWith(fires), 'the new threshold to show');
    if ((await card(page, watch).locator('.rule-facts dd').first().textContent()).trim() === 'not yet in this window') {
      assert.equal(await stateText(page, watch), 'OK', 'a changed rule starts from OK');
      assert.equal(await figuresOf(page, watch), `No value this week yet; ${fires}`);
    } else t.diagnostic('the worker evaluated the rule before the page read it: its state before evaluation not seen');
    // A failed run of the team has it evaluated again, the rate lower still.
    await send([['bob', 0, 'FAILED']]);
    const now = teamSuccess();
    assert.ok(now <= raised / 100, `the rate (${now}) is at or below the raised floor`);
    await reloadUntil(page, () => figuresOf(page, watch), (text) => text === `${rateText(now)} this week; ${fires}`, 'the rule to be evaluated again');
    assert.equal(await stateText(page, watch), 'FIRING');

    // Renamed, lowered, disabled: "Disabled" instead of a state, last.
    await card(page, watch).getByRole('button', { name: `Edit rule ${watch}` }).click();
    await form.getByLabel('Name').fill(`${watch} (edited)`);
    await form.getByLabel(/^Threshold/).fill('40');
    await form.getByRole('checkbox', { name: /Enabled:/ }).uncheck();
    await form.getByRole('button', { name: 'Save rule' }).click();
    const edited = card(page, `${watch} (edited)`);
    await edited.waitFor();
    assert.match(await edited.locator('.alert-figures').textContent(), /fires at or below 40\.0\s%/);
    assert.equal(await stateText(page, `${watch} (edited)`), 'Disabled');
    assert.equal(await edited.locator('header .alert-state').count(), 1, 'no state beside it');
    assert.match(await edited.locator('.rule-watch').textContent(), /disabled: not evaluated/);
    assert.equal(await page.locator('ul.rules > li').last().locator('h3').textContent(), `${watch} (edited)`, 'disabled rules come last');

    await edited.getByRole('button', { name: /^Delete/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Delete rule' }).click();
    await dialog.waitFor({ state: 'detached' });
    await until(async () => (await card(page, watch).count()) === 0, 'the rule to go');
  });

  test('at 1280 and 390 px, light and dark, the Alerts page and the budgets are readable and photographed', async () => {
    const { team } = await prepared();
    for (const colorScheme of ['light', 'dark']) {
      for (const width of [1280, 390]) {
        const name = `${width}-${colorScheme}`;
        const page = await alertsPage(orgAdmin, { colorScheme, viewport: { width, height: 900 } });
        await card(page, BUDGET).waitFor();
        // A channel added now, to show its secret.
        const channels = page.locator('section[aria-labelledby="alert-channels"]');
        await channels.getByLabel('Name').fill(`Shot ${name}`);
        await channels.getByLabel('URL').fill(`http://127.0.0.1:${receiver.port}/shot`);
        await channels.getByRole('button', { name: 'Add channel' }).click();
        await channels.locator('section.new-secret').waitFor();
        const wide = () => page.evaluate(() => document.documentElement.scrollWidth <= innerWidth);
        assert.ok(await wide(), `no sideways scroll at ${name}`);
        assert.deepEqual(await layoutProblems(page, 'table.alert-channels, table.alert-history'), [], `the tables at ${name}`);
        await expectAccessible(page, `at ${name}`);
        await page.locator('section[aria-labelledby="alert-rules"]').screenshot({ path: join(SHOTS, `rules-${name}.png`) });
        await channels.screenshot({ path: join(SHOTS, `channels-${name}.png`) });
        await page.locator('section[aria-labelledby="alert-history"]').screenshot({ path: join(SHOTS, `history-${name}.png`) });
        await card(page, BUDGET).getByRole('button', { name: /^Edit/ }).click();
        await page.locator('section.rule-form .current-value').waitFor();
        assert.ok(await wide(), `no sideways scroll with the form at ${name}`);
        await expectAccessible(page, `with the form at ${name}`);
        await page.locator('section.rule-form').screenshot({ path: join(SHOTS, `form-${name}.png`) });

        const overview = await signedIn(browser, server, manager, `/org/${ORG}/overview?days=30&team=${team.id}`, { colorScheme, viewport: { width, height: 900 } });
        const budgets = overview.locator('section[aria-labelledby="budgets"]');
        await budgets.waitFor({ timeout: 20_000 });
        assert.ok(await overview.evaluate(() => document.documentElement.scrollWidth <= innerWidth), `no sideways scroll on the overview at ${name}`);
        await budgets.screenshot({ path: join(SHOTS, `budgets-${name}.png`) });
        await page.context().close();
        await overview.context().close();
      }
    }
    // A toast on a phone, dark: ann's 1.50 more takes the team to the $12 ceiling.
    const phone = await opened(manager, `/org/${ORG}/overview?days=30&team=${team.id}`, { colorScheme: 'dark', viewport: { width: 390, height: 800 } });
    await until(() => phone.alertSubscriptions > 0, 'the alert subscription');
    await phone.locator('section[aria-labelledby="budgets"]').waitFor({ timeout: 20_000 });
    await send([['ann', 150, 'SUCCEEDED']]);
    assert.equal(stateOf(teamCents(), 1200, 80), 'FIRING', 'the run was chosen to fire the ceiling');
    await toastShown(phone, `Team ceiling ${uid} is FIRING: ${dollars(teamCents())} of ${dollars(1200)} (month)`);
    await phone.locator('.toasts .toast', { hasText: `Team ceiling ${uid}` }).waitFor();
    assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= innerWidth), 'no sideways scroll with a toast');
    await phone.screenshot({ path: join(SHOTS, 'toast-390-dark.png') });
    await expectAccessible(phone, 'with a toast');
    // The channels made for the pictures go.
    const { org } = await server.gql(orgAdmin, `{ org(slug: "${ORG}") { alertChannels { id name } } }`);
    for (const c of org.alertChannels.filter((x) => x.name.startsWith('Shot '))) await server.gql(orgAdmin, 'mutation($id: ID!) { deleteAlertChannel(id: $id) }', { id: c.id });
  });
  test('a change stored while the live connection is down toasts once it is back, the subscription resuming after the newest it had', async () => {
    const { team } = await prepared();
    // A rule one run of the team away from firing.
    const name = `Runs watch ${uid}`;
    const threshold = teamRuns().length + 1;
    await server.gql(orgAdmin, 'mutation($r: AlertRuleInput!) { createAlertRule(org: "demo-1", rule: $r) { id } }',
      { r: { name, metric: 'RUNS', window: 'DAY', threshold, teamId: team.id, channelIds: [] } });
    // The page's socket goes through the test, which can cut it and refuse it for a while.
    let down = false;
    const open = [];
    const subscribes = [];
    const page = await opened(manager, `/org/${ORG}/alerts`, {}, (p) => p.routeWebSocket(/\/graphql$/, (ws) => {
      if (down) {
        ws.close({ code: 1012, reason: 'down for the test' });
        return;
      }
      const upstream = ws.connectToServer();
      ws.onMessage((m) => {
        if (String(m).includes('"type":"subscribe"') && String(m).includes('alertNotified')) subscribes.push(JSON.parse(m).payload.variables);
        upstream.send(m);
      });
      upstream.onMessage((m) => ws.send(m));
      open.push({ ws, upstream });
    }));
    await page.getByRole('heading', { name: 'Rules', level: 2 }).waitFor();
    await until(() => subscribes.length > 0, 'the alert subscription');
    const { org: before } = await server.gql(manager, `{ org(slug: "${ORG}") { alertNotifications(first: 1) { edges { node { id } } } } }`);
    const newest = await page.evaluate(() => window.alertsSeen.events.at(-1)?.id ?? null) ?? before.alertNotifications.edges[0]?.node.id;

    down = true;
    for (const { ws, upstream } of open.splice(0)) {
      await upstream.close();
      await ws.close({ code: 1012, reason: 'cut by the test' });
    }
    // The run that fires it, stored while the page cannot hear.
    await send([['ann', 0, 'SUCCEEDED']]);
    assert.equal(teamRuns().length, threshold);
    await until(async () => {
      const { org } = await server.gql(manager, `{ org(slug: "${ORG}") { alertNotifications(first: 10) { edges { node { state rule { name } } } } } }`);
      return org.alertNotifications.edges.some((e) => e.node.rule.name === name && e.node.state === 'FIRING');
    }, 'the notification to be stored', 30_000);
    const heard = await page.evaluate((rule) => window.alertsSeen.events.filter((e) => e.rule === rule).length, name);
    assert.equal(heard, 0, 'nothing heard while the connection is down');

    down = false;
    await toastShown(page, `${name} is FIRING: ${threshold} of ${threshold} (day)`, 40_000);
    const resumed = subscribes.at(-1);
    assert.ok(subscribes.length >= 2, 'subscribed again');
    assert.equal(resumed.after, newest, 'after the newest notification the page had');
    await card(page, name).waitFor();
    await server.gql(orgAdmin, 'mutation($id: ID!) { deleteAlertRule(id: $id) }', { id: await card(page, name).getAttribute('data-rule') });
  });
  test('the history keeps what was loaded past its first page when new notifications come in', async () => {
    // More notifications than a page: rules on the org's runs today, each past its line at once.
    const bulk = `Bulk ${uid}`;
    const make = (name) => server.gql(orgAdmin, 'mutation($r: AlertRuleInput!) { createAlertRule(org: "demo-1", rule: $r) { id } }',
      { r: { name, metric: 'RUNS', window: 'DAY', threshold: 1, channelIds: [] } });
    for (let i = 0; i < 55; i += 1) await make(`${bulk} ${String(i).padStart(2, '0')}`);
    const stored = async () => {
      const { org } = await server.gql(manager, `{ org(slug: "${ORG}") { alertNotifications(first: 100) { edges { node { rule { name } } } } } }`);
      return org.alertNotifications.edges.filter((e) => e.node.rule.name.startsWith(bulk)).length;
    };
    await send([['eve', 0, 'SUCCEEDED']]);
    await until(async () => (await stored()) === 55, 'the rules to fire', 30_000);

    const page = await opened(manager, `/org/${ORG}/alerts`);
    const rows = page.locator('table.alert-history tbody tr');
    const ids = () => rows.evaluateAll((all) => all.map((r) => r.dataset.id));
    await until(async () => (await rows.count()) === 50, 'the first page');
    await page.getByRole('button', { name: 'Load more' }).click();
    await until(async () => (await rows.count()) > 50, 'the next page');
    const loaded = await ids();
    assert.equal(new Set(loaded).size, loaded.length, 'each once');

    // One more fires: it comes first, and every row loaded stays after it (the last of the first page too).
    await until(() => page.alertSubscriptions > 0, 'the alert subscription');
    await make(`${bulk} last`);
    await send([['eve', 0, 'SUCCEEDED']]);
    await until(async () => (await rows.count()) === loaded.length + 1, 'the new notification in the history', 20_000);
    const now = await ids();
    assert.deepEqual(now.slice(1), loaded, 'what was loaded stays, in order');
    assert.equal(await rows.first().locator('th').textContent(), `${bulk} last`);

    const { org } = await server.gql(orgAdmin, `{ org(slug: "${ORG}") { alertRules { id name } } }`);
    for (const rule of org.alertRules.filter((r) => r.name.startsWith(bulk))) await server.gql(orgAdmin, 'mutation($id: ID!) { deleteAlertRule(id: $id) }', { id: rule.id });
  });
});

// Model prices on the settings page: an ORG_ADMIN adds a price (its "valid
// from" in the org's time zone) and finds the API's values in the table,
// sees invalid input refused beside each field with nothing stored, and
// deletes it; a MEMBER or a MANAGER sees no prices; a SUPER_ADMIN sets a
// platform price on the Fleet's Prices tab, which an ORG_ADMIN sees as
// inherited and cannot delete; the overview's Cost says how much of it is
// estimated. Every view passes axe-core at 1280 and
// 390 px, light and dark; screenshots go to PRICES_SHOTS (default /tmp/shots-prices).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withDashboard } from './suite.js';
import { expectAccessible, number, signedIn, until } from './browser.js';
import { layoutProblems } from './layout.js';

const SHOTS = process.env.PRICES_SHOTS ?? '/tmp/shots-prices';
mkdirSync(SHOTS, { recursive: true });

let server;
let browser;
let superAdmin;
let orgAdmin;

// demo-2 counts its days in Europe/Berlin: a "valid from" typed there is an hour ahead of UTC in January.
const ORG = 'demo-2';

withDashboard((s, b) => {
  [server, browser] = [s, b];
  superAdmin = server.token('SUPER_ADMIN', { sub: 'prices-admin' });
  orgAdmin = server.token('ORG_ADMIN', { org: ORG, sub: 'prices-org-admin' });
});

const FIELDS = 'id org model validFrom inputUsdPerMTok outputUsdPerMTok cacheReadUsdPerMTok cacheCreationUsdPerMTok';
const PRICES = [['Input', 'inputUsdPerMTok'], ['Output', 'outputUsdPerMTok'], ['Cache read', 'cacheReadUsdPerMTok'], ['Cache creation', 'cacheCreationUsdPerMTok']];

/** An instant as one ISO string, whatever the offset notation ("+00:00" or "Z"). */
const instant = (iso) => new Date(iso).toISOString();

/** The prices the API lists for the org (its own and the platform's), or the platform's. */
const listed = async (token, org = ORG) => (await server.gql(token, `query($org: String) { modelPrices(org: $org) { ${FIELDS} } }`, { org })).modelPrices;

/** The settings page's prices section, loaded. */
async function pricesOf(page) {
  const section = page.locator('section.prices');
  await section.getByRole('button', { name: 'Add price' }).waitFor();
  return section;
}

/** The table row of the price of `model`. */
const rowOf = (page, model) => page.locator('table.prices-table tbody tr', { has: page.locator('th code', { hasText: new RegExp(`^${model.replace(/[.*]/g, '\\$&')}$`) }) });

/** Fills the "Add a price" form. */
async function fill(section, { model, validFrom, input, output, cacheRead = '', cacheCreation = '' }) {
  await section.getByLabel('Model', { exact: true }).fill(model);
  if (validFrom) await section.getByLabel(/^Valid from/).fill(validFrom);
  await section.getByLabel('Input', { exact: true }).fill(input);
  await section.getByLabel('Output', { exact: true }).fill(output);
  await section.getByLabel('Cache read', { exact: true }).fill(cacheRead);
  await section.getByLabel('Cache creation', { exact: true }).fill(cacheCreation);
}

/** The row's prices as shown, against the API's. */
async function sameValues(row, price) {
  for (const [label, field] of PRICES) {
    const shown = (await row.locator(`td[data-label="${label}"]`).textContent()).trim();
    assert.equal(number(shown), Number(price[field]), `${label}: ${shown} shown for ${price[field]}`);
  }
  assert.equal(await row.locator('td[data-label="Valid from"] time').getAttribute('datetime'), price.validFrom);
}

describe('model prices', () => {
  test('an ORG_ADMIN adds a price in the org’s time zone, finds the API’s values in the table, and deletes it', async () => {
    const page = await signedIn(browser, server, orgAdmin, `/org/${ORG}/admin/settings`);
    const section = await pricesOf(page);
    assert.equal((await section.locator('label[for="price-validFrom"]').textContent()).trim(), 'Valid from (Europe/Berlin)');
    // "Valid from" starts at now, in the org's time zone.
    const now = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin', dateStyle: 'short', timeStyle: 'short' }).format(new Date()).replace(' ', 'T');
    const shown = await section.getByLabel(/^Valid from/).inputValue();
    assert.ok(Math.abs(Date.parse(`${shown}Z`) - Date.parse(`${now}Z`)) <= 120_000, `valid from ${shown}, now ${now} in Berlin`);

    const model = `codex-test-${randomUUID().slice(0, 8)}`;
    await fill(section, { model, validFrom: '2026-01-15T09:30', input: '1.25', output: '10', cacheRead: '0.125' });
    await section.getByRole('button', { name: 'Add price' }).click();
    await section.getByRole('status').filter({ hasText: `Saved the price of ${model}` }).waitFor();
    const saved = (await listed(orgAdmin)).find((p) => p.model === model);
    assert.ok(saved, 'the API lists the new price');
    assert.deepEqual(
      { org: saved.org, validFrom: instant(saved.validFrom), input: saved.inputUsdPerMTok, output: saved.outputUsdPerMTok, cacheRead: saved.cacheReadUsdPerMTok, cacheCreation: saved.cacheCreationUsdPerMTok },
      { org: ORG, validFrom: '2026-01-15T08:30:00.000Z', input: '1.25', output: '10', cacheRead: '0.125', cacheCreation: '0' },
    );
    const row = rowOf(page, model);
    await row.waitFor();
    await sameValues(row, saved);
    assert.equal((await row.locator('td[data-label="Set by"]').textContent()).trim(), 'This org');
    assert.match(await row.locator('td[data-label="Valid from"]').textContent(), /^Jan 15, (2026, )?9:30\sAM$/);
    // The form is empty again, "valid from" back at now.
    assert.equal(await section.getByLabel('Model', { exact: true }).inputValue(), '');
    // The re-pricing job is followed to its end.
    await section.getByRole('status').filter({ hasText: 'The job has finished' }).waitFor({ timeout: 60_000 });
    await expectAccessible(page, 'after adding a price');

    // Deleted after the confirmation; the API lists it no more.
    await row.getByRole('button', { name: new RegExp(`^Delete the price of ${model}`) }).click();
    const dialog = page.getByRole('dialog');
    assert.match(await dialog.textContent(), /re-prices/);
    await dialog.getByRole('button', { name: 'Delete price' }).click();
    await row.waitFor({ state: 'detached' });
    await section.getByRole('status').filter({ hasText: `Deleted the price of ${model}` }).waitFor();
    assert.equal((await listed(orgAdmin)).some((p) => p.model === model), false);
  });

  test('invalid input is refused beside each field, and nothing is stored', async () => {
    const page = await signedIn(browser, server, orgAdmin, `/org/${ORG}/admin/settings`);
    const section = await pricesOf(page);
    const before = await listed(orgAdmin);

    // Nothing typed: the required fields say so.
    await section.getByRole('button', { name: 'Add price' }).click();
    await section.locator('#price-model-error').waitFor();
    assert.match(await section.locator('#price-model-error').textContent(), /Enter a model name/);
    assert.match(await section.locator('#price-inputUsdPerMTok-error').textContent(), /Enter a price/);
    assert.equal(await section.locator('#price-cacheReadUsdPerMTok-error').count(), 0, 'a cache price may stay empty');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'price-model', 'focus goes to the first field to fix');

    await fill(section, { model: 'gpt*5', input: '-1', output: '1,5', cacheRead: '2000000', cacheCreation: '0.0000000001' });
    const expected = {
      model: /A \* may only end the name/,
      inputUsdPerMTok: /cannot be negative/,
      outputUsdPerMTok: /Use a point for decimals: 1\.5/,
      cacheReadUsdPerMTok: /At most 1,000,000/,
      cacheCreationUsdPerMTok: /At most 9 decimals/,
    };
    for (const [field, message] of Object.entries(expected)) {
      const input = section.locator(`#price-${field}`);
      const error = section.locator(`#price-${field}-error`);
      assert.match(await error.textContent(), message, field);
      assert.equal(await input.getAttribute('aria-invalid'), 'true', field);
      assert.match(await input.getAttribute('aria-describedby'), new RegExp(`price-${field}-error`), field);
      // Beside its field: right below it, in the same column.
      const [a, b] = [await input.boundingBox(), await error.boundingBox()];
      assert.ok(b.y >= a.y + a.height - 1 && b.y - (a.y + a.height) < 40 && Math.abs(b.x - a.x) < 4, `${field}'s message is beside it`);
    }
    await section.getByRole('button', { name: 'Add price' }).click();
    await fill(section, { model: '*', input: '3', output: '15' });
    assert.match(await section.locator('#price-model-error').textContent(), /A \* alone/);
    await section.getByRole('button', { name: 'Add price' }).click();
    await expectAccessible(page, 'with every field refused');
    assert.deepEqual(await listed(orgAdmin), before, 'nothing was stored');

    // Fixed, a message goes as soon as its field is right.
    await section.getByLabel('Model', { exact: true }).fill('gpt-5*');
    await until(async () => (await section.locator('#price-model-error').count()) === 0, 'the model message to go');

    // What the server refuses shows beside the field it names: a price the page let through is sent as "-1".
    await page.route('**/graphql', (route) => {
      const body = route.request().postDataJSON();
      if (!body?.query?.includes('setModelPrice')) return route.continue();
      return route.continue({ postData: JSON.stringify({ ...body, variables: { ...body.variables, price: { ...body.variables.price, outputUsdPerMTok: '-1' } } }) });
    });
    await fill(section, { model: `refused-${randomUUID().slice(0, 8)}`, input: '3', output: '15' });
    await section.getByRole('button', { name: 'Add price' }).click();
    const refused = section.locator('#price-outputUsdPerMTok-error');
    await refused.waitFor();
    assert.match(await refused.textContent(), /^outputUsdPerMTok must be a decimal string/);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'price-outputUsdPerMTok');
    assert.deepEqual(await listed(orgAdmin), before, 'nothing was stored');
    // Edited, the server's message goes.
    await section.getByLabel('Output', { exact: true }).fill('16');
    await refused.waitFor({ state: 'detached' });
  });

  test('a MEMBER and a MANAGER see no model prices', async () => {
    for (const role of ['MEMBER', 'MANAGER']) {
      const token = server.token(role, { org: ORG, sub: `prices-${role.toLowerCase()}` });
      const page = await signedIn(browser, server, token, `/org/${ORG}/overview?days=30`);
      await page.locator('nav[aria-label="Pages"] a').first().waitFor();
      assert.equal(await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Admin' }).count(), 0, `${role}: no Admin link`);
      await page.goto(`${server.url}/#/org/${ORG}/admin/settings`);
      await page.getByRole('alert').filter({ hasText: 'Not allowed' }).waitFor();
      assert.equal(await page.locator('#model-prices, section.prices, form').count(), 0, `${role}: no prices section`);
      await page.context().close();
    }
  });

  test('a SUPER_ADMIN sets a platform price on the Fleet; an ORG_ADMIN sees it inherited and cannot delete it', async () => {
    const page = await signedIn(browser, server, superAdmin, '/global?days=30');
    await page.getByRole('navigation', { name: 'Fleet' }).getByRole('link', { name: 'Prices' }).click();
    const section = await pricesOf(page);
    assert.match(await section.getByRole('heading', { level: 2 }).textContent(), /Platform model prices/);
    assert.equal((await section.locator('label[for="price-validFrom"]').textContent()).trim(), 'Valid from (UTC)');
    const model = `copilot-test-${randomUUID().slice(0, 8)}*`;
    await fill(section, { model, validFrom: '2026-02-01T00:00', input: '2', output: '8.5', cacheCreation: '2.5' });
    await section.getByRole('button', { name: 'Add price' }).click();
    await section.getByRole('status').filter({ hasText: `Saved the price of ${model}` }).waitFor();
    const saved = (await listed(superAdmin, null)).find((p) => p.model === model);
    assert.equal(saved?.org, null, 'a platform price');
    assert.equal(instant(saved.validFrom), '2026-02-01T00:00:00.000Z');
    await sameValues(rowOf(page, model), saved);
    await section.getByRole('status').filter({ hasText: 'The job has finished' }).waitFor({ timeout: 60_000 });

    // The org's admin sees it inherited, with the org's prices, and no way to delete it.
    const own = await signedIn(browser, server, orgAdmin, `/org/${ORG}/admin/settings`);
    await pricesOf(own);
    const row = rowOf(own, model);
    await row.waitFor();
    const inherited = (await listed(orgAdmin)).find((p) => p.model === model);
    assert.equal(inherited.org, null);
    await sameValues(row, inherited);
    assert.equal((await row.locator('td[data-label="Set by"]').textContent()).trim(), 'Platform default');
    assert.equal(await row.getByRole('button').count(), 0, 'no Delete for an inherited price');
    assert.match(await own.locator('section.prices').textContent(), /Platform defaults are inherited: a SUPER_ADMIN changes them/);
    // The API refuses it too.
    await assert.rejects(server.gql(orgAdmin, 'mutation($id: ID!) { deleteModelPrice(id: $id) }', { id: saved.id }), /FORBIDDEN/);
    await expectAccessible(own, 'with an inherited price');

    // A SUPER_ADMIN on the org's page is sent to the Fleet for it.
    const superOnOrg = await signedIn(browser, server, superAdmin, `/org/${ORG}/admin/settings`);
    await pricesOf(superOnOrg);
    await rowOf(superOnOrg, model).waitFor();
    assert.equal(await rowOf(superOnOrg, model).getByRole('button').count(), 0);
    assert.equal(await superOnOrg.locator('section.prices').getByRole('link', { name: 'Fleet’s Prices' }).getAttribute('href'), '#/global/prices');

    // Deleted on the Fleet, it is gone for the org.
    await rowOf(page, model).getByRole('button', { name: /^Delete/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete price' }).click();
    await rowOf(page, model).waitFor({ state: 'detached' });
    assert.equal((await listed(orgAdmin)).some((p) => p.model === model), false);
  });

  test('the overview’s Cost says how much of it is estimated, and how many calls are unpriced', async () => {
    const model = `est-${randomUUID().slice(0, 8)}`;
    const { setModelPrice } = await server.gql(orgAdmin, `mutation($p: ModelPriceInput!) { setModelPrice(org: "${ORG}", price: $p) { id } }`,
      { p: { model: `${model}*`, validFrom: '2020-01-01T00:00:00Z', inputUsdPerMTok: '2', outputUsdPerMTok: '10' } });
    // A run of an agent that reports no cost: a priced call and an unpriced one.
    const session = `prices-${randomUUID()}`;
    const run = `prices-run-${randomUUID()}`;
    const at = (minutes) => new Date(Date.now() - minutes * 60_000).toISOString();
    const base = { org: ORG, sessionId: session, userId: 'prices-user' };
    const events = [
      { ...base, eventId: randomUUID(), type: 'SESSION_STARTED', occurredAt: at(10) },
      { ...base, eventId: randomUUID(), type: 'RUN_STARTED', occurredAt: at(9), runId: run },
      { ...base, eventId: randomUUID(), type: 'MODEL_CALL', occurredAt: at(8), runId: run, modelCall: { model: `${model}-mini`, inputTokens: 500_000, outputTokens: 100_000 } },
      { ...base, eventId: randomUUID(), type: 'MODEL_CALL', occurredAt: at(7), runId: run, modelCall: { model: `nobody-priced-${model}`, inputTokens: 1_000, outputTokens: 100 } },
      { ...base, eventId: randomUUID(), type: 'RUN_FINISHED', occurredAt: at(6), runId: run, run: { status: 'SUCCEEDED' } },
    ];
    const { ingestEvents } = await server.gql(server.ingestToken(), 'mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted rejected { code message } } }', { e: events });
    assert.deepEqual(ingestEvents, { accepted: events.length, rejected: [] });
    const kpis = async () => {
      const { org } = await server.gql(superAdmin, `{ org(slug: "${ORG}") { timezone } }`);
      const day = new Intl.DateTimeFormat('en-CA', { timeZone: org.timezone }).format(new Date());
      const from = new Date(Date.parse(`${day}T00:00:00Z`) - 6 * 86_400_000).toISOString().slice(0, 10);
      return (await server.gql(superAdmin, 'query($r: DateRange!) { org(slug: "' + ORG + '") { overview(range: $r) { kpis { estimatedCostUsd unpricedModelCalls } } } }', { r: { from, to: day } })).org.overview.kpis;
    };
    // 0.5 M input tokens at $2 and 0.1 M output tokens at $10: $2 estimated.
    await until(async () => Number((await kpis()).estimatedCostUsd) >= 2, 'the call to be priced', 30_000);
    const k = await kpis();
    assert.ok(k.unpricedModelCalls >= 1);
    const page = await signedIn(browser, server, orgAdmin, `/org/${ORG}/overview?days=7`);
    const cost = page.locator('.card', { has: page.locator('.label', { hasText: /^Cost$/ }) });
    await cost.waitFor();
    const about = await cost.getAttribute('title');
    const [, shown] = about.match(/Of which estimated (\$[\d,.]+) \(priced from the model prices\)\./) ?? [];
    assert.ok(shown, about);
    assert.ok(Math.abs(number(shown) - Number(k.estimatedCostUsd)) < 0.005, `${shown} shown for ${k.estimatedCostUsd}`);
    assert.match(about, new RegExp(`${k.unpricedModelCalls} model calls? unpriced \\(counted at \\$0\\)\\.$`));
    // The card's description says it too, for screen readers.
    assert.match(await page.locator(`[id="${await cost.getAttribute('aria-describedby')}"]`).textContent(), /Of which estimated/);
    // By model, the priced model's row shows its estimate: 0.5 M input tokens at $2 and 0.1 M output at $10.
    const byModel = page.locator('#by-model ~ table');
    const priced = byModel.locator('tbody tr', { has: page.locator('th', { hasText: `${model}-mini` }) });
    await priced.waitFor();
    assert.equal(await priced.locator('td[data-label="Of which estimated"]').textContent(), '$2.00');
    assert.equal(await priced.locator('td[data-label="Cost"]').textContent(), '$2.00');
    const unpriced = byModel.locator('tbody tr', { has: page.locator('th', { hasText: `nobody-priced-${model}` }) });
    if (await unpriced.count()) assert.equal(await unpriced.locator('td[data-label="Of which estimated"]').textContent(), '$0.00');
    await server.gql(orgAdmin, 'mutation($id: ID!) { deleteModelPrice(id: $id) }', { id: setModelPrice.id });
  });

  test('the prices pass axe-core at 1280 and 390 px, light and dark, and fit the width', async () => {
    const platform = await server.gql(superAdmin, `mutation { setModelPrice(price: { model: "gpt-5*", validFrom: "2026-01-01T00:00:00Z",
      inputUsdPerMTok: "1.25", outputUsdPerMTok: "10", cacheReadUsdPerMTok: "0.125" }) { id } }`);
    const older = await server.gql(orgAdmin, `mutation { setModelPrice(org: "${ORG}", price: { model: "gpt-5", validFrom: "2026-03-01T00:00:00Z",
      inputUsdPerMTok: "1.1", outputUsdPerMTok: "9", cacheReadUsdPerMTok: "0.11", cacheCreationUsdPerMTok: "1.375" }) { id } }`);
    const newer = await server.gql(orgAdmin, `mutation { setModelPrice(org: "${ORG}", price: { model: "gpt-5", validFrom: "2026-04-01T00:00:00Z",
      inputUsdPerMTok: "1", outputUsdPerMTok: "8" }) { id } }`);
    const views = [['settings-org-admin', orgAdmin, `/org/${ORG}/admin/settings`], ['fleet-prices', superAdmin, '/global/prices']];
    for (const colorScheme of ['light', 'dark']) {
      for (const width of [1280, 390]) {
        for (const [name, token, path] of views) {
          const page = await signedIn(browser, server, token, path, { colorScheme, viewport: { width, height: 900 } });
          await (await pricesOf(page)).locator('table.prices-table tbody tr').first().waitFor();
          await page.locator('main .skeleton').first().waitFor({ state: 'detached' });
          const where = `on ${name} at ${width} px, ${colorScheme}`;
          assert.deepEqual(await layoutProblems(page, 'table.prices-table'), [], `layout ${where}`);
          await expectAccessible(page, where);
          await page.screenshot({ path: join(SHOTS, `${name}-${width}-${colorScheme}.png`), fullPage: true });
          // The form with its messages, too.
          await page.getByRole('button', { name: 'Add price' }).click();
          await page.locator('#price-model-error').waitFor();
          assert.deepEqual(await layoutProblems(page, 'table.prices-table'), [], `layout with messages ${where}`);
          await page.locator('section.prices').screenshot({ path: join(SHOTS, `${name}-invalid-${width}-${colorScheme}.png`) });
          await page.context().close();
        }
      }
    }
    // The status of each price: the newer replaces the older; the org's gpt-5 does not cover the platform's gpt-5*.
    const page = await signedIn(browser, server, orgAdmin, `/org/${ORG}/admin/settings`);
    await pricesOf(page);
    const statuses = (await page.locator('table.prices-table tbody tr').evaluateAll((rows) => rows.map((r) => [
      r.querySelector('th code').textContent, r.querySelector('time').getAttribute('datetime'), r.querySelector('td[data-label="Status"]').textContent.replace(/\s+/g, ' ').trim(),
    ]))).filter(([model]) => model.startsWith('gpt-5'));
    assert.deepEqual(statuses.map(([model, from]) => [model, instant(from)]),
      [['gpt-5', '2026-04-01T00:00:00.000Z'], ['gpt-5', '2026-03-01T00:00:00.000Z'], ['gpt-5*', '2026-01-01T00:00:00.000Z']]);
    assert.equal(statuses[0][2], 'In effect');
    assert.match(statuses[1][2], /^Replaced on Apr 1, (2026, )?2:00\sAM$/);
    assert.equal(statuses[2][2], 'In effect');
    for (const { id } of [platform.setModelPrice, older.setModelPrice, newer.setModelPrice]) {
      await server.gql(superAdmin, 'mutation($id: ID!) { deleteModelPrice(id: $id) }', { id });
    }
  });
});

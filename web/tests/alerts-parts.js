// What the Alerts browser tests share: a webhook receiver of their own,
// the figures a rule should show computed from the cents sent (never read
// back from the page's code), and readers of what the page shows.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';

/** An HTTP receiver on loopback that answers 200 and keeps what it got. */
export function startReceiver() {
  const got = [];
  const http = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      got.push({ path: request.url, headers: request.headers, body });
      response.end('ok');
    });
  });
  return new Promise((done) => http.listen(0, '127.0.0.1', () => done({ port: http.address().port, got, close: () => http.close() })));
}

export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** The state a ceiling with a warning line is in at `cents`. */
export const stateOf = (cents, threshold, warnPercent) => (cents >= threshold ? 'FIRING' : cents * 100 >= threshold * warnPercent ? 'WARNING' : 'OK');
/** Dollars from cents as the page writes money of $1 and more. */
export const dollars = (cents) => `$${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })}`;
/** "$8.75 of $10.00 this month (87.5 %)": the share rounded down to a tenth, from whole cents (a no-break space before %). */
export const budgetText = (cents, threshold) => `${dollars(cents)} of ${dollars(threshold)} this month (${(Math.floor((cents * 1000) / threshold) / 10).toFixed(1)}\u00a0%)`;
/** A rate as the page writes it: "60.0 %". */
export const rateText = (rate) => `${(rate * 100).toFixed(1)}\u00a0%`;
/**
 * Where a ceiling's bar puts its figures, as fractions of its length: it
 * runs from 0 to the larger of the threshold and the value.
 */
export function ceilingBar(cents, threshold, warnPercent) {
  const top = Math.max(threshold, cents);
  return { fill: cents / top, line: threshold / top, warn: (threshold * warnPercent) / 100 / top, zone: [threshold / top, 1 - threshold / top] };
}

/**
 * Kept by the page from its first script: each notification announced
 * (`agentmon:alert`) and each toast that entered the screen, with its text,
 * so a test reads what showed whenever it looks.
 */
export function recordAlerts() {
  const seen = { events: [], toasts: [] };
  window.alertsSeen = seen;
  addEventListener('agentmon:alert', (e) => seen.events.push({ id: e.detail.id, state: e.detail.state, rule: e.detail.rule.name }));
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) {
        if (node.nodeType === 1 && node.matches('.toast')) seen.toasts.push({ rule: node.dataset.rule, text: node.querySelector('.toast-text')?.textContent.trim() });
      }
    }
  }).observe(document, { childList: true, subtree: true });
}

/** Resolves once a toast saying exactly `text` has shown on `page`; says what showed if none did. */
export async function toastShown(page, text, timeout = 20_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const shown = await page.evaluate(() => window.alertsSeen.toasts.map((t) => t.text));
    if (shown.includes(text)) return;
    if (Date.now() > end) throw new Error(`no toast ${JSON.stringify(text)}; the toasts shown: ${JSON.stringify(shown)}`);
    await sleep(100);
  }
}

/** Resolves once the overview has drawn its figures (its `overview-ready` mark) and the requests that follow are answered. */
export async function overviewSettled(page) {
  await page.waitForFunction(() => performance.getEntriesByName('overview-ready').length > 0, null, { timeout: 20_000 });
  await page.waitForLoadState('networkidle');
}

export const card = (page, name) => page.locator('article.rule-card').filter({ has: page.locator('h3', { hasText: name }) });

/** Reloads the page until `read()` answers what `ok()` accepts (the worker evaluates after each batch); its last answer. */
export async function reloadUntil(page, read, ok, what, timeout = 40_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await read().catch(() => null);
    if (value != null && ok(value)) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(value)}`);
    await sleep(700);
    await page.reload();
    await page.getByRole('heading', { name: 'Rules', level: 2 }).waitFor();
  }
}

export const figuresOf = (page, name) => card(page, name).locator('.alert-figures').evaluate((el) => el.firstChild.textContent.trim());
export const stateText = (page, name) => card(page, name).locator('header .alert-state').evaluate((el) => el.textContent.replace(/[✓▲●]/g, '').trim());
/** Where the bar of the rule `name` puts its figures, measured on the screen, as fractions of its length (`warn` null without a warning line). */
export const barOf = (page, name) => card(page, name).locator('.alert-bar').evaluate((el) => {
  const box = el.getBoundingClientRect();
  const at = (s) => el.querySelector(s)?.getBoundingClientRect();
  // A mark is a 2 px line centred on its place.
  const mark = (s) => (at(s) ? (at(s).left + 1 - box.left) / box.width : null);
  return { fill: at('.fill').width / box.width, line: mark('.mark.line'), warn: mark('.mark.warn'), zone: [(at('.zone').left - box.left) / box.width, at('.zone').width / box.width] };
});
/** Asserts a measured bar is where `expected` says, within 2 % of its length. */
export function assertBar(bar, expected, what) {
  for (const key of ['fill', 'line', 'warn']) {
    assert.ok(Math.abs(bar[key] - expected[key]) < 0.02, `${what}: ${key} at ${bar[key]}, expected ${expected[key]}`);
  }
  assert.ok(Math.abs(bar.zone[0] - expected.zone[0]) < 0.02 && Math.abs(bar.zone[1] - expected.zone[1]) < 0.02, `${what}: zone ${bar.zone}, expected ${expected.zone}`);
}
/** What a page keeps where scripts can read it: its address and both storages. */
export const kept = (page) => page.evaluate(() => JSON.stringify({ href: location.href, local: { ...localStorage }, session: { ...sessionStorage } }));

// Real headless Chromium (Debian's `chromium`, no browser download) driven
// by playwright-core, and an axe-core scan of what it shows.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

/**
 * Chromium preloads its omnibox popup, a page of its own of some 200
 * modules, in every new window. The tests open a window (a fresh context)
 * per page load, so each load would pay for it on the same two cores as the
 * page and the server; a person's browser pays it once. Chromium reads only
 * the last --disable-features, and Playwright passes one of its own
 * (playwright-core 1.65), so this one repeats Playwright's and adds the popup:
 * compare it with Playwright's (`disabledFeatures` in its coreBundle.js)
 * when upgrading playwright-core.
 */
const DISABLED_FEATURES = [
  // Playwright's
  'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades', 'HttpsFirstBalancedModeAutoEnable',
  'LensOverlay', 'MediaRouter', 'PaintHolding', 'ThirdPartyStoragePartitioning', 'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin', 'OptimizationHints', 'NetworkTimeServiceQuerying', 'AimEnabled', 'PreconnectToSearch',
  // the omnibox popup, made and preloaded with each window
  'WebUIOmniboxPopup', 'PreloadTopChromeWebUI',
];

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', `--disable-features=${DISABLED_FEATURES.join(',')}`],
  });
}

const open = new Set();

/**
 * A fresh browser context signed in with `token` through a sign-in link, on
 * `path` (a hash route like `/org/demo-1/overview?days=30`). The page counts
 * the live subscriptions its pages start (`page.subscriptions`; the frame's
 * alert toasts, on every page for MANAGER and up, count apart in
 * `page.alertSubscriptions`) and collects its uncaught errors (`page.errors`).
 */
export async function signedIn(browser, server, token, path, options = {}) {
  const page = await newPage(browser, options);
  const join = path.includes('?') ? '&' : '?';
  await page.goto(`${server.url}/#${path}${join}token=${encodeURIComponent(token)}`);
  return page;
}

export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ locale: 'en-US', acceptDownloads: true, ...options });
  open.add(context);
  const page = await context.newPage();
  page.errors = [];
  page.subscriptions = 0;
  page.alertSubscriptions = 0;
  page.on('pageerror', (error) => page.errors.push(error));
  // The pages' Content-Security-Policy must admit everything they load.
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) page.errors.push(new Error(message.text()));
  });
  page.on('websocket', (ws) => ws.on('framesent', (frame) => {
    const text = String(frame.payload);
    if (!text.includes('"type":"subscribe"')) return;
    if (text.includes('alertNotified')) page.alertSubscriptions += 1;
    else page.subscriptions += 1;
  }));
  return page;
}

/** Closes every page the test opened; returns their uncaught errors. */
export async function closePages() {
  const errors = [];
  for (const context of open) {
    for (const page of context.pages()) errors.push(...(page.errors ?? []));
    await context.close();
  }
  open.clear();
  return errors.map(String);
}

/** Resolves once `check()` is true (polled), or fails after `timeout` ms saying `what`. */
export async function until(check, what, timeout = 10_000) {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** Resolves once the page has charts and every one of them is drawn (an empty page does not count). */
export function chartsDrawn(page) {
  return page.waitForFunction(() => {
    const plots = [...document.querySelectorAll('.chart [role="img"]')];
    return plots.length > 0 && plots.every((el) => el.uplot);
  });
}

/** The text of the KPI card labelled `label`. */
export async function card(page, label) {
  const value = page.locator('.card', { has: page.locator('.label', { hasText: new RegExp(`^${label}$`) }) }).locator('.value');
  return (await value.textContent()).trim();
}

/**
 * The change of the KPI card labelled `label` against the previous period:
 * `{ text, tone, line }`, `text` as shown ("▲ +12 %", "no change"; null
 * when there is none), `tone` 'good', 'bad' or 'neutral', `line` the whole line.
 */
export async function change(page, label) {
  const line = page.locator('.card', { has: page.locator('.label', { hasText: new RegExp(`^${label}$`) }) }).locator('.change');
  return line.evaluate((el) => ({
    text: el.querySelector('.delta')?.textContent.trim() ?? null,
    tone: ['good', 'bad', 'neutral'].find((t) => el.classList.contains(t)) ?? null,
    line: el.textContent.replace(/\s+/g, ' ').trim(),
  }));
}

/** A number as the dashboard shows it ("1,311", "$107.50", "84.4 %"); text without digits is an error. */
export function number(text) {
  if (!/\d/.test(text ?? '')) throw new Error(`expected a number, the page shows ${JSON.stringify(text)}`);
  return Number(text.replace(/[^0-9.-]/g, ''));
}

/** Milliseconds from a duration as the dashboard shows it ("850 ms", "12.3 s", "9.5 min", "1.2 h"). */
export function ms(text) {
  const [, value, unit] = text.match(/^([\d.]+) (ms|s|min|h)$/) ?? [];
  if (!unit) throw new Error(`expected a duration, the page shows ${JSON.stringify(text)}`);
  return Number(value) * { ms: 1, s: 1_000, min: 60_000, h: 3_600_000 }[unit];
}

/** The serious and critical accessibility violations axe-core finds on the page. */
export async function violations(page) {
  // Evaluated through the DevTools protocol: the page's CSP admits no inline script.
  await page.evaluate(readFileSync(AXE, 'utf8'));
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => ['serious', 'critical'].includes(v.impact))
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

/** Asserts axe-core finds no serious or critical violation. */
export async function expectAccessible(page, where = '') {
  const found = await violations(page);
  if (found.length) throw new Error(`axe-core found serious or critical violations ${where}:\n${found.join('\n')}`);
}

/** Today's date in `timeZone`, as YYYY-MM-DD. */
export const today = (timeZone = 'UTC') => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date());

/** `date` moved by `days`. */
export function shift(date, days) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

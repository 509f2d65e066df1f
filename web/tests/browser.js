// Real headless Chromium (Debian's `chromium`, no browser download) driven
// by playwright-core, and an axe-core scan of what it shows.
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

/**
 * A fresh browser context signed in with `token` through a sign-in link, on
 * `path` (a hash route like `/org/demo-1/overview?days=30`).
 */
export async function signedIn(browser, server, token, path, options = {}) {
  const context = await browser.newContext({ locale: 'en-US', acceptDownloads: true, ...options });
  const page = await context.newPage();
  page.on('pageerror', (error) => { page.errors = [...(page.errors ?? []), error]; });
  const join = path.includes('?') ? '&' : '?';
  await page.goto(`${server.url}/#${path}${join}token=${encodeURIComponent(token)}`);
  return page;
}

/** The text of the KPI card labelled `label`. */
export async function card(page, label) {
  const value = page.locator('.card', { has: page.locator('.label', { hasText: new RegExp(`^${label}$`) }) }).locator('.value');
  return (await value.textContent()).trim();
}

/** A number as the dashboard shows it ("1,311", "$107.50", "84.4 %"). */
export const number = (text) => Number(text.replace(/[^0-9.\-]/g, ''));

/** The serious and critical accessibility violations axe-core finds on the page. */
export async function violations(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => ['serious', 'critical'].includes(v.impact))
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

// How soon a fresh page (a new browser context, signed in through a
// sign-in link, nothing cached) is ready, from navigation start: the
// overview once its KPI cards and every chart are drawn with the demo's
// figures (the page marks `overview-ready`), the sign-in form once it is
// in the page. Shared by performance.test.js and bench/page-ready.mjs.
import assert from 'node:assert/strict';
import { newPage, signedIn } from './browser.js';

const VIEWPORT = { width: 1280, height: 900 };

/** Milliseconds from navigation start to `overview-ready` on a fresh page of `path`, checked to show figures. */
export async function overviewReadyTime(browser, server, token, path) {
  const page = await signedIn(browser, server, token, path, { viewport: VIEWPORT });
  const mark = await page.waitForFunction(() => performance.getEntriesByName('overview-ready')[0]?.startTime, null, { timeout: 15_000 });
  const ms = await mark.jsonValue();
  const drawn = await page.evaluate(() => ({
    cards: document.querySelectorAll('main .card .value').length,
    plots: [...document.querySelectorAll('main .chart [role="img"]')].map((el) => el.uplot?.data[0].length ?? 0),
  }));
  assert.ok(drawn.cards >= 10, `the KPI cards are shown (${drawn.cards})`);
  assert.ok(drawn.plots.length >= 7 && drawn.plots.every((n) => n > 0), `every chart has points: ${drawn.plots}`);
  await page.context().close();
  return ms;
}

/**
 * Milliseconds from navigation start until the sign-in form is in a fresh
 * page: the dashboard's code fetched and run, no question asked. A
 * baseline for the overview's time on the same machine in the same run.
 */
export async function signInReadyTime(browser, server) {
  const page = await newPage(browser, { viewport: VIEWPORT });
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (!document.querySelector('main form')) return;
      performance.mark('signin-ready');
      observer.disconnect();
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(`${server.url}/#/signin`);
  const mark = await page.waitForFunction(() => performance.getEntriesByName('signin-ready')[0]?.startTime, null, { timeout: 15_000 });
  const ms = await mark.jsonValue();
  await page.context().close();
  return ms;
}

export const median = (all) => [...all].sort((a, b) => a - b)[Math.floor(all.length / 2)];

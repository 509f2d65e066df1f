// The frame of every browser test file: a seeded agentmon and a Chromium for
// the file, every page closed (and checked for uncaught errors) after each
// test, both stopped at the end.
import { after, afterEach, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.js';
import { closePages, launch } from './browser.js';

/** Calls `ready(server, browser)` once both are up, before the first test; `options` go to startServer. */
export function withDashboard(ready, options = {}) {
  let server;
  let browser;
  before(async () => {
    server = await startServer(options);
    browser = await launch();
    await ready(server, browser);
  });
  afterEach(async () => assert.deepEqual(await closePages(), [], 'uncaught errors in the page'));
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
}

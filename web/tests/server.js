// A seeded agentmon for the browser tests: `agentmon serve --demo` on a free
// loopback port with its own data directory (embedded PostgreSQL), ready once
// every demo event is projected. Tokens come from `agentmon token`, the way a
// user mints them.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = process.env.AGENTMON_BIN
  ?? join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'debug', 'agentmon');
// What `serve --demo` logs once every demo event is accepted.
const SEEDED = 'demo orgs created and filled';
const SECRET = 'browser-tests-secret-that-is-long-enough-for-hs256';

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/**
 * Starts a demo server; resolves once the demo data is projected. `env`:
 * more environment for it (AGENTMON_WEBHOOK_ALLOW_PRIVATE for a receiver
 * on loopback).
 */
export async function startServer({ env: extra = {} } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentmon-browser-'));
  // The embedded PostgreSQL runs as `postgres` when the tests run as root.
  chmodSync(dataDir, 0o755);
  const env = { ...process.env, ...extra, AGENTMON_DATA_DIR: dataDir, AGENTMON_JWT_SECRET: SECRET, RUST_LOG: 'info' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  // The dashboard under test is the copy inside the binary, as users get it,
  // unless AGENTMON_WEB_DIR names a folder to serve it from instead (the
  // repository's web/, to test edits without a rebuild).
  if (process.env.AGENTMON_WEB_DIR) env.AGENTMON_WEB_DIR = resolve(process.env.AGENTMON_WEB_DIR);
  else delete env.AGENTMON_WEB_DIR;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(BIN, ['serve', '--demo', '--listen', `127.0.0.1:${port}`], {
    env,
    cwd: dataDir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  // Remembered once seen: a long test's requests push the line out of the log kept.
  let seeded = false;
  child.stderr.on('data', (chunk) => {
    log = (log + chunk).slice(-200_000);
    seeded ||= log.includes(SEEDED);
  });
  let failed = null;
  child.once('error', (error) => { failed = error; });
  const exited = new Promise((done) => child.once('exit', done));

  const server = {
    url,
    /** A user token: `agentmon token --role ROLE --org ORG --sub SUB`. */
    token(role, { org, sub = 'browser-test', ttl = '1h' } = {}) {
      const args = ['token', '--role', role, '--sub', sub, '--ttl', ttl, ...(org ? ['--org', org] : [])];
      return execFileSync(BIN, args, { env, cwd: dataDir }).toString().trim();
    },
    ingestToken() {
      return execFileSync(BIN, ['token', '--ingest'], { env, cwd: dataDir }).toString().trim();
    },
    /** A token whose `exp` has passed (beyond the server's leeway). */
    expiredToken(role = 'SUPER_ADMIN', org = undefined) {
      const now = Math.floor(Date.now() / 1000);
      const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const body = `${part({ typ: 'JWT', alg: 'HS256' })}.${part({ sub: 'late', role, org, iss: 'agentmon', aud: 'agentmon', iat: now - 7200, exp: now - 3600 })}`;
      return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
    },
    /** Asks the GraphQL API directly; throws on errors. */
    async gql(token, query, variables = {}) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = await response.json();
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    },
    /** Resolves once every ingested event is projected. */
    async settled() {
      for (let i = 0; i < 600; i += 1) {
        const figures = await metrics(url).catch(() => null);
        if (seeded && figures && figures.ingested > 0 && figures.projected >= figures.ingested) return;
        if (failed) throw new Error(`cannot run ${BIN} (${failed.message}); build it with \`cargo build\` or set AGENTMON_BIN`);
        if (child.exitCode != null) break;
        await sleep(100);
      }
      throw new Error(`agentmon did not project its demo data in time:\n${log}`);
    },
    /** Stops agentmon (which stops its PostgreSQL); forces both if it hangs. */
    async stop() {
      if (child.exitCode == null && child.signalCode == null) {
        child.kill('SIGTERM');
        const stopped = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
        if (!stopped) child.kill('SIGKILL');
      }
      stopCluster(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
      process.off('exit', onExit);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
  // If the test process ends early (a failure, an interrupt), take agentmon,
  // its cluster and its data directory down too.
  const onExit = () => {
    child.kill('SIGKILL');
    stopCluster(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const onSignal = (signal) => {
    onExit();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await server.settled();
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** Stops the embedded PostgreSQL of `dataDir` if it still runs (agentmon was killed). */
function stopCluster(dataDir) {
  const cluster = join(dataDir, 'pg');
  if (!existsSync(join(cluster, 'postmaster.pid'))) return;
  const pgCtl = ['pg_ctl', ...readdirSafe('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin/pg_ctl`)]
    .find((path) => spawnSync(path, ['--version']).status === 0);
  if (!pgCtl) return;
  const args = ['stop', '-D', cluster, '-m', 'immediate', '-w'];
  if (process.getuid?.() === 0) spawnSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args]);
  else spawnSync(pgCtl, args);
}

function readdirSafe(dir) {
  try {
    return readdirSync(dir).sort().reverse();
  } catch {
    return [];
  }
}

async function metrics(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name) => Number(text.match(new RegExp(`^${name} (\\d+)`, 'm'))?.[1] ?? 0);
  return { ingested: read('agentmon_ingested_events_total'), projected: read('agentmon_projected_events_total') };
}

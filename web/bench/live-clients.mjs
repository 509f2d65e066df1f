// The subscribers of `cargo bench --bench fanout`, in a process of their
// own: COUNT websocket connections to agentmon, each subscribed to
// `sessionUpdated` of one org over graphql-transport-ws, with the JWTs of
// TOKENS (one line each; a user holds at most ten connections).
//
//   node web/bench/live-clients.mjs URL ORG TOKENS COUNT
//
// Prints "connected N" once every connection is acknowledged and
// subscribed, "warm N" once every one has received an update of session
// "warm". Then reads lines "accepted ROUND EPOCH_US" on stdin (when the
// event of session "round-ROUND" was committed) and prints, once all
// received it or 10 s passed, "round ROUND n=RECEIVED p50=MS p95=MS max=MS".
// "done" on stdin prints "all n=… p50=… p95=… max=…" over every delivery
// and exits.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

const [url, org, tokensFile, countArg] = process.argv.slice(2);
const count = Number(countArg);
const tokens = readFileSync(tokensFile, 'utf8').split('\n').filter(Boolean);
if (!url || !org || !tokens.length || !(count > 0)) {
  console.error('usage: live-clients.mjs URL ORG TOKENS COUNT');
  process.exit(2);
}
/** Microseconds since the epoch, from the same clock the bench reads. */
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

const SUBSCRIPTION = `subscription($org: String!) { sessionUpdated(org: $org) { session { id } } }`;
/** Per round: the receive times of its update, one per connection. */
const received = new Map();
const warm = new Set();
let subscribed = 0;
let closed = 0;

function connect(i) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'graphql-transport-ws');
    ws.on('open', () => ws.send(JSON.stringify({
      type: 'connection_init',
      payload: { Authorization: `Bearer ${tokens[Math.floor(i / 10) % tokens.length]}` },
    })));
    ws.on('message', (data) => {
      const at = nowUs();
      const text = data.toString();
      // Updates are most of the traffic: their session id is read without
      // parsing the whole message, so the client's own work weighs little.
      const session = /"session":\{"id":"([^"]*)"/.exec(text)?.[1];
      if (session !== undefined) {
        if (session === 'warm') warm.add(i);
        const round = /^round-(\d+)$/.exec(session)?.[1];
        if (round !== undefined) {
          if (!received.has(round)) received.set(round, new Map());
          if (!received.get(round).has(i)) received.get(round).set(i, at);
        }
        return;
      }
      const message = JSON.parse(text);
      if (message.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong' }));
      } else if (message.type === 'connection_ack') {
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION, variables: { org } } }));
        subscribed += 1;
        resolve(ws);
      } else if (message.type === 'error' || message.type === 'complete') {
        reject(new Error(`connection ${i}: ${data}`));
      }
    });
    ws.on('close', (code, reason) => {
      closed += 1;
      if (closed === 1 || closed % 1000 === 0) console.error(`${closed} connection(s) closed by the server, the last: ${code} ${reason}`);
      reject(new Error(`connection ${i} closed: ${code} ${reason}`));
    });
    ws.on('error', reject);
  });
}

const sockets = [];
for (let start = 0; start < count; start += 250) {
  const batch = [];
  for (let i = start; i < Math.min(count, start + 250); i += 1) batch.push(connect(i));
  sockets.push(...(await Promise.all(batch)));
}
console.log(`connected ${subscribed}`);
while (warm.size < count) await new Promise((r) => setTimeout(r, 50));
console.log(`warm ${warm.size}`);

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const summary = (ms) => {
  const sorted = [...ms].sort((a, b) => a - b);
  const f = (v) => (v ?? NaN).toFixed(1);
  return `n=${sorted.length} p50=${f(quantile(sorted, 0.5))} p95=${f(quantile(sorted, 0.95))} max=${f(sorted.at(-1))}`;
};
const all = [];
for await (const line of createInterface({ input: process.stdin })) {
  const [what, round, acceptedUs] = line.trim().split(/\s+/);
  if (what === 'done') break;
  if (what !== 'accepted') continue;
  const deadline = Date.now() + 10_000;
  while ((received.get(round)?.size ?? 0) < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const ms = [...(received.get(round)?.values() ?? [])].map((at) => (at - Number(acceptedUs)) / 1000);
  all.push(...ms);
  console.log(`round ${round} ${summary(ms)}`);
}
console.log(`all ${summary(all)}`);
for (const ws of sockets) ws.terminate();
process.exit(0);

// GraphQL over fetch and over graphql-transport-ws; the only way the
// dashboard talks to the server.
import { createClient } from 'graphql-ws';
import { token, signOut } from './session.js';
import { earlyAnswer } from './prefetch.js';

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export async function gql(query, variables = {}) {
  const { data, errors } = await gqlAnswer(query, variables);
  if (errors.length) throw errorOf(errors[0]);
  return data;
}

/** How long after a write of its own the page reads from the primary. */
const READ_OWN_WRITES_MS = 30_000;
let lastWrite = null;

/**
 * The whole answer, `{ data, errors }`, for a query whose fields may fail
 * one by one (a team whose figures the viewer may not see beside those it
 * may): the caller reads `errors` by their `path`. Throws as `gql` does
 * when there is no data at all.
 */
export async function gqlAnswer(query, variables = {}) {
  // Signed out (maybe a moment ago, by another request): the first reason stands.
  if (!token()) throw new ApiError('You are signed out.', 'UNAUTHENTICATED');
  const early = earlyAnswer(query, variables, token());
  if (early) return early;
  // After a write of its own, the page reads from the primary for a while
  // (a read replica may not have the write yet).
  const writes = /^\s*mutation\b/.test(query);
  if (writes) lastWrite = performance.now();
  const ownWrites = lastWrite != null && performance.now() - lastWrite < READ_OWN_WRITES_MS;
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${token()}`,
        ...(ownWrites && !writes ? { 'X-Agentmon-Read': 'primary' } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('The server cannot be reached. Check your connection and retry.', 'UNAVAILABLE');
  }
  const body = await response.json().catch(() => ({}));
  const errors = body.errors ?? [];
  const refused = errors.find((e) => e.extensions?.code === 'UNAUTHENTICATED');
  if (refused) {
    backToSignIn(refused.message);
    throw errorOf(refused);
  }
  if (errors.length && !body.data) throw errorOf(errors[0]);
  if (!response.ok || !body.data) {
    throw new ApiError(`The server answered ${response.status} ${response.statusText}. Retry in a moment.`, 'UNAVAILABLE');
  }
  return { data: body.data, errors };
}

/** A GraphQL error as an ApiError. */
export const errorOf = (error) => new ApiError(error.message, error.extensions?.code ?? 'INTERNAL');

/** Asks the server whether the token still holds; gql sends the viewer to sign-in if not. */
function checkToken() {
  gql('{ me { role } }').catch(() => {});
}

/** The token is no longer good: forget it and say why on the sign-in page. */
function backToSignIn(reason) {
  signOut();
  location.hash = `#/signin?reason=${encodeURIComponent(reason)}`;
}

let live;
/** The one graphql-ws client, made at the first subscription. */
function client() {
  live ??= createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: () => ({ Authorization: `Bearer ${token()}` }),
    lazy: true,
    retryAttempts: Infinity,
    // The server refuses a bad token in connection_init by closing (1002,
    // 4401 or 4403); retrying with the same token cannot help.
    shouldRetry: (event) => ![1002, 4401, 4403].includes(event?.code),
  });
  return live;
}

/**
 * Subscribes; calls `onData` with each result's data. Returns a function
 * that unsubscribes. `variables` may be a function: then it is read again
 * whenever the socket comes back after it dropped, and the subscription is
 * made anew with what it answers (graphql-ws would send the first
 * variables again), so one that resumes (`after`) asks from where it got to.
 */
export function subscribe(query, variables, onData) {
  const ws = client();
  const refused = (errors) => errors.find?.((e) => e.extensions?.code === 'UNAUTHENTICATED');
  const start = () => {
    let stopped = false;
    const stop = ws.subscribe(
      { query, variables: typeof variables === 'function' ? variables() : variables },
      {
        next: (r) => {
          if (r.errors && refused(r.errors)) backToSignIn(refused(r.errors).message);
          else if (r.data) onData(r.data);
        },
        error: (e) => {
          if (Array.isArray(e) && refused(e)) backToSignIn(refused(e).message);
          else checkToken();
        },
        // The server ends a subscription when the token expires.
        complete: () => stopped || checkToken(),
      },
    );
    return () => {
      stopped = true;
      stop();
    };
  };
  let stop = start();
  if (typeof variables !== 'function') return () => stop();
  // Made anew once connected again: the old one, still waiting for the
  // socket, goes without being sent.
  let dropped = false;
  const listening = [
    ws.on('closed', () => { dropped = true; }),
    ws.on('connected', () => {
      if (!dropped) return;
      dropped = false;
      stop();
      stop = start();
    }),
  ];
  return () => {
    listening.forEach((unlisten) => unlisten());
    stop();
  };
}

/** Downloads an export with the bearer token as a file. */
export async function download(path, filename) {
  if (!token()) throw new ApiError('You are signed out.', 'UNAUTHENTICATED');
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) {
    const text = (await response.text().catch(() => '')).trim();
    let reason = text || response.statusText;
    try {
      reason = JSON.parse(text).errors?.[0]?.message ?? reason;
    } catch {
      // a plain-text reason
    }
    if (response.status === 401) backToSignIn(reason);
    throw new ApiError(`The export failed (${response.status}): ${reason}`, response.status === 403 ? 'FORBIDDEN' : 'INTERNAL');
  }
  const url = URL.createObjectURL(await response.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// GraphQL over fetch and over graphql-transport-ws; the only way the
// dashboard talks to the server.
import { createClient } from 'graphql-ws';
import { token, signOut } from './session.js';

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token()}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('The server cannot be reached. Check your connection and retry.', 'UNAVAILABLE');
  }
  const body = await response.json().catch(() => ({}));
  const error = body.errors?.[0];
  if (error) {
    const code = error.extensions?.code ?? 'INTERNAL';
    if (code === 'UNAUTHENTICATED') {
      signOut();
      location.hash = `#/signin?reason=${encodeURIComponent(error.message)}`;
    }
    throw new ApiError(error.message, code);
  }
  return body.data;
}

let live;
/** Subscribes; calls `onData` with each result's data. Returns a function that unsubscribes. */
export function subscribe(query, variables, onData) {
  live ??= createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: () => ({ Authorization: `Bearer ${token()}` }),
    lazy: true,
    retryAttempts: Infinity,
  });
  return live.subscribe({ query, variables }, { next: (r) => r.data && onData(r.data), error: () => {}, complete: () => {} });
}

/** Downloads an export with the bearer token as a file. */
export async function download(path, filename) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) throw new ApiError(`The export failed (${response.status}).`, 'INTERNAL');
  const url = URL.createObjectURL(await response.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

// Dead letters (SUPER_ADMIN): events a worker could not project after its
// attempts, newest first, 50 a page ("Load more"), of every org or of the
// one in the URL; "Retry" puts them back on the queue and says how many.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { useQuery } from '../query.js';
import { href } from '../router.js';
import { Empty, ErrorBox, pending, StaleNote } from '../parts.js';
import { count, whenShort } from '../format.js';

const QUERY = `query($org: String, $after: String) { deadLetters(org: $org, first: 50, after: $after) {
  totalCount edges { cursor node { eventId org sessionId attempts error failedAt } } pageInfo { hasNextPage endCursor } } }`;
const RETRY = `mutation($org: String) { retryDeadLetters(org: $org) }`;

export function DeadLetters({ route, viewer, tabs }) {
  const org = route.params.get('org') || null;
  const first = useQuery(QUERY, { org }, (d) => d.deadLetters);
  // Pages after the first, for the filter they were loaded with.
  const [more, setMore] = useState({ org, pages: [], loading: false, error: null });
  const [retry, setRetry] = useState({ busy: false, error: null, done: null });
  const pages = more.org === org ? more.pages : [];
  const nameOf = (slug) => viewer.orgs.find((o) => o.slug === slug)?.name ?? slug;
  const heading = html`<h1>Fleet</h1>${tabs}<h2>Dead letters${first.data ? html` <small>${count(first.data.totalCount)} in all${org ? ` of ${nameOf(org)}` : ''}</small>` : null}</h2>`;
  const waiting = pending(first, heading);
  if (waiting) return waiting;
  const loadMore = (after) => {
    setMore({ org, pages, loading: true, error: null });
    gql(QUERY, { org, after }).then(
      (d) => setMore((m) => (m.org === org ? { ...m, pages: [...m.pages, d.deadLetters], loading: false } : m)),
      (error) => setMore((m) => ({ ...m, loading: false, error })),
    );
  };
  const runRetry = () => {
    if (retry.busy) return;
    setRetry({ busy: true, error: null, done: null });
    gql(RETRY, { org }).then(
      (d) => {
        setRetry({ busy: false, error: null, done: { n: d.retryDeadLetters, org } });
        setMore({ org, pages: [], loading: false, error: null });
        first.reload();
      },
      (error) => setRetry({ busy: false, error, done: null }),
    );
  };
  const all = [first.data, ...pages];
  const seen = new Set();
  const letters = all.flatMap((p) => p.edges.map((e) => e.node)).filter((l) => !seen.has(l.eventId) && seen.add(l.eventId));
  const last = all[all.length - 1];
  const total = first.data.totalCount;
  const choose = (slug) => (location.hash = href(route.parts, { ...Object.fromEntries(route.params), org: slug }));
  const orgs = org && !viewer.orgs.some((o) => o.slug === org) ? [...viewer.orgs, { slug: org, name: org }] : viewer.orgs;
  return html`
    ${heading}
    <p class="hint">Events a worker could not project after all its attempts. Retrying puts them back on the queue; those that fail again come back here.</p>
    <form class="filters" aria-label="Dead letters" onSubmit=${(e) => e.preventDefault()}>
      <label>Of org <select name="org" onChange=${(e) => choose(e.target.value)}>
        <option value="" selected=${!org}>every org</option>
        ${orgs.map((o) => html`<option value=${o.slug} selected=${o.slug === org}>${o.name}</option>`)}</select></label>
      <button type="button" onClick=${runRetry} aria-disabled=${retry.busy ? 'true' : undefined}>${retry.busy ? 'Retrying…' : org ? `Retry all of ${nameOf(org)}` : 'Retry all'}</button>
      ${retry.error ? html`<p class="field-error" role="alert">${retry.error.message}</p>` : null}
      <p class="good" role="status">${retry.done
        ? `Requeued ${count(retry.done.n)} dead ${retry.done.n === 1 ? 'letter' : 'letters'}${retry.done.org ? ` of ${nameOf(retry.done.org)}` : ''}; a worker projects ${retry.done.n === 1 ? 'it' : 'them'} again.`
        : ''}</p>
    </form>
    <${StaleNote} error=${first.error} />
    ${more.error ? html`<${ErrorBox} error=${more.error} />` : null}
    ${letters.length === 0
      ? html`<${Empty}>No dead letters${org ? ` of ${nameOf(org)}` : ''}: no event has failed all its projection attempts.</${Empty}>`
      : html`<table class="stack dead-letters">
        <thead><tr><th scope="col">Event</th><th scope="col">Session</th><th scope="col">Org</th>
          <th scope="col">Failed at</th><th scope="col">Attempts</th><th scope="col">Error</th></tr></thead>
        <tbody>${letters.map((l) => html`<tr key=${l.eventId}>
          <th scope="row" data-label="Event" class="wide"><code>${l.eventId}</code></th>
          <td data-label="Session" class="wide"><code>${l.sessionId}</code></td>
          <td data-label="Org" class="org-slug">${nameOf(l.org)}</td>
          <td data-label="Failed at"><time datetime=${l.failedAt}>${whenShort(l.failedAt, undefined, { seconds: true })}</time></td>
          <td data-label="Attempts">${count(l.attempts)}</td>
          <td data-label="Error" class="wide detail">${l.error}</td></tr>`)}</tbody></table>
        <p class="hint">${count(letters.length)} of ${count(total)} shown. Times are in your time zone.</p>`}
    ${last.pageInfo.hasNextPage
      ? html`<button type="button" aria-disabled=${more.loading ? 'true' : undefined} onClick=${() => more.loading || loadMore(last.pageInfo.endCursor)}>${more.loading ? 'Loading…' : 'Load more'}</button>`
      : null}`;
}

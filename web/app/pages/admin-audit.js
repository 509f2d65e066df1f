// The org's audit log, newest first, 50 entries a page ("Load more" with the
// cursor); filters by action and actor over the entries loaded so far.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { orgOf, useQuery } from '../query.js';
import { href } from '../router.js';
import { Empty, ErrorBox, pending } from '../parts.js';
import { count, whenShort } from '../format.js';

const QUERY = `query($org: String!, $after: String) { org(slug: $org) { auditLog(first: 50, after: $after) {
  edges { cursor node { id at actor actorRole action org target detail } } pageInfo { hasNextPage endCursor } } } }`;

/** An entry's details as `key: value` pairs. */
const details = (detail) =>
  Object.entries(detail ?? {})
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');

const distinct = (values) => [...new Set(values)].sort();

export function AuditLog({ org, route }) {
  const first = useQuery(QUERY, { org: org.slug }, (d) => orgOf(d, org.slug).auditLog);
  // Pages after the first, for the org they were loaded for.
  const [more, setMore] = useState({ slug: org.slug, pages: [], loading: false, error: null });
  const pages = more.slug === org.slug ? more.pages : [];
  const heading = html`<h2>Audit log</h2>`;
  const waiting = pending(first, heading);
  if (waiting) return waiting;
  const loadMore = (after) => {
    setMore({ slug: org.slug, pages, loading: true, error: null });
    gql(QUERY, { org: org.slug, after }).then(
      (d) => setMore((m) => (m.slug === org.slug ? { ...m, pages: [...m.pages, orgOf(d, org.slug).auditLog], loading: false } : m)),
      (error) => setMore((m) => ({ ...m, loading: false, error })),
    );
  };
  const all = [first.data, ...pages];
  const seen = new Set();
  const entries = all.flatMap((p) => p.edges.map((e) => e.node)).filter((e) => !seen.has(e.id) && seen.add(e.id));
  const last = all[all.length - 1];
  const action = route.params.get('action') ?? '';
  const actor = route.params.get('actor') ?? '';
  const shown = entries.filter((e) => (!action || e.action === action) && (!actor || e.actor === actor));
  const setParam = (name, value) => (location.hash = href(route.parts, { ...Object.fromEntries(route.params), [name]: value }));
  const options = (values, chosen) => distinct(chosen ? [...values, chosen] : values).map((v) => html`<option value=${v} selected=${v === chosen}>${v}</option>`);
  return html`
    ${heading}
    <form class="filters" aria-label="Filters" onSubmit=${(e) => e.preventDefault()}>
      <label>Action <select name="action" onChange=${(e) => setParam('action', e.target.value)}>
        <option value="" selected=${!action}>any action</option>${options(entries.map((e) => e.action), action)}</select></label>
      <label>Actor <select name="actor" onChange=${(e) => setParam('actor', e.target.value)}>
        <option value="" selected=${!actor}>anyone</option>${options(entries.map((e) => e.actor), actor)}</select></label>
    </form>
    <p class="hint">The filters look only at the ${count(entries.length)} newest entries loaded here${last.pageInfo.hasNextPage ? '; load more to search further back' : ', the whole log'}.</p>
    ${first.error || more.error ? html`<${ErrorBox} error=${first.error ?? more.error} />` : null}
    ${entries.length === 0
      ? html`<${Empty}>No administrative action recorded yet.</${Empty}>`
      : shown.length === 0
      ? html`<${Empty}>No loaded entry matches these filters.</${Empty}>`
      : html`<table class="stack audit">
        <thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">Details</th></tr></thead>
        <tbody>${shown.map((e) => html`<tr key=${e.id}>
          <td data-label="When"><time datetime=${e.at}>${whenShort(e.at, org.timezone, { seconds: true })}</time></td>
          <th scope="row" data-label="Action"><code>${e.action}</code></th>
          <td data-label="Actor">${e.actor}${e.actorRole ? html` <span class="muted">${e.actorRole}</span>` : null}</td>
          <td data-label="Target">${e.target ?? '—'}</td>
          <td data-label="Details" class="wide detail">${details(e.detail) || '—'}</td></tr>`)}</tbody></table>`}
    ${last.pageInfo.hasNextPage
      ? html`<button type="button" aria-disabled=${more.loading ? 'true' : undefined} onClick=${() => more.loading || loadMore(last.pageInfo.endCursor)}>${more.loading ? 'Loading…' : 'Load more'}</button>`
      : null}`;
}

// Sessions: filters (the team in the URL among them), cursor pagination,
// new sessions appearing live, CSV export of the current filter (whole org).
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { download, gql } from '../api.js';
import { orgOf, useLiveReload, useQuery } from '../query.js';
import { href, rangeOf, rangeParams, timeRange } from '../router.js';
import { Empty, ErrorBox, Skeleton } from '../parts.js';
import { teamOf, useTeam } from '../teams.js';
import { count, duration, money, tokens, whenShort } from '../format.js';

const QUERY = `query($org: String!, $filter: SessionFilter, $after: String) { org(slug: $org) {
  sessions(filter: $filter, first: 25, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { id user { id name } startedAt lastEventAt messageCount runCount succeededRuns failedRuns
      costUsd inputTokens outputTokens activeTimeMs handedOff iteratedAfterHandoff attributes } } } } }`;
const LIVE = `subscription($org: String!) { sessionUpdated(org: $org) { session { id } } }`;

function filterOf(params, timeZone) {
  const filter = { range: timeRange(rangeOf(params, timeZone), timeZone) };
  if (params.get('user')) filter.userId = params.get('user');
  if (teamOf(params)) filter.team = teamOf(params);
  if (params.get('handedOff')) filter.handedOff = params.get('handedOff') === 'true';
  const attr = params.get('attr');
  if (attr?.includes('=')) {
    const [key, ...rest] = attr.split('=');
    filter.attributes = [{ key, equals: rest.join('=') }];
  }
  return filter;
}

/** A session's attributes as `key=value` (the form the attribute filter takes). */
const attributes = (json) =>
  Object.entries(json ?? {})
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');

export function Sessions({ org, route, viewer }) {
  const people = viewer.role !== 'MEMBER';
  const filter = filterOf(route.params, org.timezone);
  const key = JSON.stringify(filter);
  const first = useQuery(QUERY, { org: org.slug, filter }, (d) => orgOf(d, org.slug).sessions);
  const team = useTeam(org.slug, filter.team);
  useLiveReload(LIVE, { org: org.slug }, first.reload);
  // Pages after the first, for the filter they were loaded with.
  const [more, setMore] = useState({ key, pages: [], loading: false, error: null });
  const pages = more.key === key ? more.pages : [];
  const loadMore = (after) => {
    setMore({ key, pages, loading: true, error: null });
    gql(QUERY, { org: org.slug, filter, after }).then(
      (d) => setMore((m) => (m.key === key ? { key, pages: [...m.pages, d.org.sessions], loading: false, error: null } : m)),
      (error) => setMore((m) => (m.key === key ? { ...m, loading: false, error } : m)),
    );
  };
  const [exportError, setExportError] = useState(null);

  const setParam = (name, value) => {
    const params = Object.fromEntries(route.params);
    params[name] = value;
    location.hash = href(route.parts, params);
  };
  const exportCsv = () => {
    const q = new URLSearchParams({ org: org.slug, from: filter.range.from, to: filter.range.to });
    if (filter.userId) q.set('userId', filter.userId);
    if (filter.handedOff != null) q.set('handedOff', String(filter.handedOff));
    if (filter.attributes) q.set('attribute', `${filter.attributes[0].key}:${filter.attributes[0].equals}`);
    setExportError(null);
    download(`/export/sessions.csv?${q}`, `${org.slug}-sessions.csv`).catch(setExportError);
  };

  const all = first.data ? [first.data, ...pages] : [];
  // A session that moved up since a later page was loaded shows once, at its newest place.
  const seen = new Set();
  const rows = all.flatMap((p) => p.edges.map((e) => e.node)).filter((s) => !seen.has(s.id) && seen.add(s.id));
  const last = all[all.length - 1];
  const error = first.error ?? team.error ?? more.error ?? exportError;
  return html`
    <h1>${filter.team ? `Sessions of team ${team.data?.name ?? '…'}` : 'Sessions'} <small>${first.data ? `${count(first.data.totalCount)} in all` : ''}</small></h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Filters">
      <label>User <input name="user" value=${route.params.get('user') ?? ''} onChange=${(e) => setParam('user', e.target.value)} /></label>
      <label>Handed off <select onChange=${(e) => setParam('handedOff', e.target.value)}>
        <option value="" selected=${!route.params.get('handedOff')}>any</option>
        <option value="true" selected=${route.params.get('handedOff') === 'true'}>yes</option>
        <option value="false" selected=${route.params.get('handedOff') === 'false'}>no</option>
      </select></label>
      <label>Attribute <input name="attr" placeholder="repo=web" value=${route.params.get('attr') ?? ''} onChange=${(e) => setParam('attr', e.target.value)} /></label>
      ${filter.team ? null : html`<button type="button" onClick=${exportCsv}>Export CSV</button>`}
    </form>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    ${!first.data && !first.error ? html`<${Skeleton} lines=${8} />` : null}
    ${first.data && rows.length === 0 ? html`<${Empty}>No session matches these filters. Clear a filter to see more.</${Empty}>` : null}
    ${rows.length
      ? html`<div class="scroll"><table class="sessions">
        <thead><tr><th scope="col">Session</th><th scope="col">User</th><th scope="col">Started</th><th scope="col">Last activity</th><th scope="col">Messages</th>
          <th scope="col">Runs</th><th scope="col">Failed</th><th scope="col">Cost</th><th scope="col">Tokens</th><th scope="col">Active</th><th scope="col">Handoff</th><th scope="col">Attributes</th></tr></thead>
        <tbody>${rows.map((s) => html`<tr key=${s.id}>
          <td data-label="Session"><a href=${href(['org', org.slug, 'sessions', s.id], rangeParams(route.params))}>${s.id}</a></td>
          <td data-label="User">${people ? html`<a href=${href(['org', org.slug, 'users', s.user.id], rangeParams(route.params))}>${s.user.name ?? s.user.id}</a>` : s.user.name ?? s.user.id}</td>
          <td data-label="Started"><time datetime=${s.startedAt}>${whenShort(s.startedAt, org.timezone)}</time></td>
          <td data-label="Last activity"><time datetime=${s.lastEventAt}>${whenShort(s.lastEventAt, org.timezone)}</time></td>
          <td data-label="Messages">${count(s.messageCount)}</td><td data-label="Runs">${count(s.runCount)}</td><td data-label="Failed">${count(s.failedRuns)}</td>
          <td data-label="Cost">${money(s.costUsd)}</td><td data-label="Tokens">${tokens(s.inputTokens + s.outputTokens)}</td><td data-label="Active">${duration(s.activeTimeMs)}</td>
          <td data-label="Handoff">${s.handedOff ? (s.iteratedAfterHandoff ? 'local, iterated' : 'local') : '—'}</td>
          <td data-label="Attributes" class="attributes">${attributes(s.attributes)}</td></tr>`)}</tbody></table></div>`
      : null}
    ${last?.pageInfo.hasNextPage
      ? html`<button type="button" disabled=${more.loading} onClick=${() => loadMore(last.pageInfo.endCursor)}>${more.loading ? 'Loading…' : 'Load more'}</button>`
      : null}`;
}

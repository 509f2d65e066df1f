// Sessions: filters, cursor pagination, new sessions appearing live, CSV
// export of the current filter.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { download, gql, subscribe } from '../api.js';
import { href, rangeOf, rangeParams, timeRange } from '../router.js';
import { Empty, ErrorBox, Skeleton } from '../parts.js';
import { count, duration, money, when } from '../format.js';

const QUERY = `query($org: String!, $filter: SessionFilter, $after: String) { org(slug: $org) {
  sessions(filter: $filter, first: 25, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { id user { id name } startedAt lastEventAt messageCount runCount succeededRuns failedRuns
      costUsd activeTimeMs handedOff iteratedAfterHandoff attributes } } } } }`;
const LIVE = `subscription($org: String!) { sessionUpdated(org: $org) { session { id } } }`;

function filterOf(params, timeZone) {
  const filter = { range: timeRange(rangeOf(params, timeZone), timeZone) };
  if (params.get('user')) filter.userId = params.get('user');
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

export function Sessions({ org, route }) {
  const filter = filterOf(route.params, org.timezone);
  const key = JSON.stringify(filter);
  const [pages, setPages] = useState([]);
  const [error, setError] = useState(null);
  const [fresh, setFresh] = useState(0);

  const load = (after) =>
    gql(QUERY, { org: org.slug, filter, after }).then((d) => d.org.sessions, setError);
  useEffect(() => {
    setPages([]);
    load(null).then((p) => p && setPages([p]));
  }, [org.slug, key, fresh]);
  useEffect(() => {
    // Coalesce bursts of updates into one reload every half second.
    let timer = null;
    const stop = subscribe(LIVE, { org: org.slug }, () => {
      timer ??= setTimeout(() => {
        timer = null;
        setFresh((n) => n + 1);
      }, 500);
    });
    return () => {
      clearTimeout(timer);
      stop();
    };
  }, [org.slug]);

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
    download(`/export/sessions.csv?${q}`, `${org.slug}-sessions.csv`).catch(setError);
  };

  const rows = pages.flatMap((p) => p.edges.map((e) => e.node));
  const last = pages[pages.length - 1];
  return html`
    <h1>Sessions <small>${last ? `${count(last.totalCount)} in all` : ''}</small></h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Filters">
      <label>User <input name="user" value=${route.params.get('user') ?? ''} onChange=${(e) => setParam('user', e.target.value)} /></label>
      <label>Handed off <select onChange=${(e) => setParam('handedOff', e.target.value)}>
        <option value="" selected=${!route.params.get('handedOff')}>any</option>
        <option value="true" selected=${route.params.get('handedOff') === 'true'}>yes</option>
        <option value="false" selected=${route.params.get('handedOff') === 'false'}>no</option>
      </select></label>
      <label>Attribute <input name="attr" placeholder="repo=web" value=${route.params.get('attr') ?? ''} onChange=${(e) => setParam('attr', e.target.value)} /></label>
      <button type="button" onClick=${exportCsv}>Export CSV</button>
    </form>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    ${!last && !error ? html`<${Skeleton} lines=${8} />` : null}
    ${last && rows.length === 0 ? html`<${Empty}>No session matches these filters. Clear a filter to see more.</${Empty}>` : null}
    ${rows.length
      ? html`<div class="scroll"><table class="sessions">
        <thead><tr><th scope="col">Session</th><th scope="col">User</th><th scope="col">Started</th><th scope="col">Last activity</th><th scope="col">Messages</th>
          <th scope="col">Runs</th><th scope="col">Failed</th><th scope="col">Cost</th><th scope="col">Active</th><th scope="col">Handoff</th><th scope="col">Attributes</th></tr></thead>
        <tbody>${rows.map((s) => html`<tr>
          <td><a href=${href(['org', org.slug, 'sessions', s.id], rangeParams(route.params))}>${s.id}</a></td>
          <td>${s.user.name ?? s.user.id}</td><td>${when(s.startedAt, org.timezone)}</td><td>${when(s.lastEventAt, org.timezone)}</td><td>${count(s.messageCount)}</td>
          <td>${count(s.runCount)}</td><td>${count(s.failedRuns)}</td><td>${money(s.costUsd)}</td><td>${duration(s.activeTimeMs)}</td>
          <td>${s.handedOff ? (s.iteratedAfterHandoff ? 'local, iterated' : 'local') : '—'}</td>
          <td class="attributes">${attributes(s.attributes)}</td></tr>`)}</tbody></table></div>`
      : null}
    ${last?.pageInfo.hasNextPage
      ? html`<button type="button" onClick=${() => load(last.pageInfo.endCursor).then((p) => p && setPages([...pages, p]))}>Load more</button>`
      : null}`;
}

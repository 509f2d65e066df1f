// Sessions with any activity in the range: filters (the team in the URL
// among them; one that is not valid says so next to its control and is not
// applied), cursor pagination, new sessions appearing live, CSV export of
// the current filter (whole org). A row leads with the session's repo and
// says whether it is live (an event in the last 10 minutes).
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { download, gql } from '../api.js';
import { orgOf, useLiveReload, useQuery } from '../query.js';
import { href, rangeOf, rangeParams, timeRange } from '../router.js';
import { Empty, ErrorBox, Skeleton } from '../parts.js';
import { teamOf, useTeam } from '../teams.js';
import { count, duration, money, whenShort } from '../format.js';

const QUERY = `query($org: String!, $filter: SessionFilter, $after: String) { org(slug: $org) {
  sessions(filter: $filter, first: 25, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { id user { id name } startedAt lastEventAt messageCount runCount succeededRuns failedRuns cancelledRuns
      costUsd activeTimeMs handedOff iteratedAfterHandoff attributes } } } } }`;
const LIVE = `subscription($org: String!) { sessionUpdated(org: $org) { session { id } } }`;
/** A session with an event this recent is live. */
const LIVE_MS = 10 * 60_000;

/** Failure categories, in the order of the overview's table. */
const CATEGORIES = ['TOOL', 'MODEL', 'TIMEOUT', 'OTHER'];

/** The SessionFilter of the URL, and `problems`: what in the URL is not valid, by control (not applied). */
function filterOf(params, timeZone) {
  const filter = { range: timeRange(rangeOf(params, timeZone), timeZone) };
  const problems = {};
  if (params.get('user')?.trim()) filter.userId = params.get('user').trim();
  if (teamOf(params)) filter.team = teamOf(params);
  const handedOff = params.get('handedOff');
  if (handedOff === 'true' || handedOff === 'false') filter.handedOff = handedOff === 'true';
  else if (handedOff) problems.handedOff = `“${handedOff}” is neither yes nor no: this filter is not applied.`;
  const attr = params.get('attr')?.trim();
  const [key, ...rest] = (attr ?? '').split('=');
  if (attr && rest.length && key.trim()) filter.attributes = [{ key: key.trim(), equals: rest.join('=') }];
  else if (attr) problems.attr = `Write the attribute as key=value, for example repo=web. “${attr}” is not applied.`;
  const failed = params.get('failed');
  if (CATEGORIES.includes(failed)) filter.errorCategory = failed;
  else if (failed) problems.failed = `“${failed}” is not a failure category (${CATEGORIES.join(', ')}): this filter is not applied.`;
  if (params.get('model')?.trim()) filter.model = params.get('model').trim();
  return { filter, problems };
}

/** A session's attributes as `key=value` (the form the attribute filter takes). */
const attributes = (json) =>
  Object.entries(json ?? {})
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');

/** The session's repo attribute, the label people know it by (null if it has none). */
const repoOf = (s) => (typeof s.attributes?.repo === 'string' && s.attributes.repo ? s.attributes.repo : null);

/** Live (an event in the last 10 minutes) or ended, with a running run said. */
function Status({ session, now }) {
  const running = session.runCount - session.succeededRuns - session.failedRuns - session.cancelledRuns;
  const live = now - Date.parse(session.lastEventAt) < LIVE_MS;
  const title = live ? 'An event in the last 10 minutes' : 'No event for 10 minutes or more';
  return html`<span class=${`state ${live ? 'live' : 'ended'}`} title=${title}>${live ? 'live' : 'ended'}</span>${running > 0 && live
    ? html` <span class="muted">${count(running)} running</span>` : null}`;
}

/** A filter's message, next to its control. */
const Problem = ({ id, text }) => (text ? html`<p class="field-error" id=${id} role="alert">${text}</p>` : null);

/** Re-renders every minute, so "live" turns into "ended" without new events. */
function useNow() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export function Sessions({ org, route, viewer }) {
  const people = viewer.role !== 'MEMBER';
  const { filter, problems } = filterOf(route.params, org.timezone);
  const range = rangeOf(route.params, org.timezone);
  const now = useNow();
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
    if (filter.errorCategory) q.set('errorCategory', filter.errorCategory);
    if (filter.model) q.set('model', filter.model);
    setExportError(null);
    download(`/export/sessions.csv?${q}`, `${org.slug}-sessions.csv`).catch(setExportError);
  };

  const all = first.data ? [first.data, ...pages] : [];
  // A session that moved up since a later page was loaded shows once, at its newest place.
  const seen = new Set();
  const rows = all.flatMap((p) => p.edges.map((e) => e.node)).filter((s) => !seen.has(s.id) && seen.add(s.id));
  const last = all[all.length - 1];
  const error = first.error ?? team.error ?? more.error ?? exportError;
  const param = (name) => route.params.get(name) ?? '';
  const invalid = (name) => (problems[name] ? { 'aria-invalid': 'true', 'aria-describedby': `${name}-error` } : {});
  return html`
    <h1>${filter.team ? `Sessions of team ${team.data?.name ?? '…'}` : 'Sessions'} <small>${first.data ? `${count(first.data.totalCount)} in all` : ''}</small></h1>
    <p class="hint">Sessions with any activity from ${range.from} to ${range.to} (${org.timezone}), latest activity first${people ? '' : ', your own only'}.
      The overview counts only the sessions that started in the range, so this list can hold more. Live: an event in the last 10 minutes.</p>
    <form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Filters">
      <label>User <input name="user" value=${param('user')} onChange=${(e) => setParam('user', e.target.value)} /></label>
      <div class="field"><label>Handed off <select name="handedOff" onChange=${(e) => setParam('handedOff', e.target.value)} ...${invalid('handedOff')}>
        <option value="" selected=${!param('handedOff')}>any</option>
        <option value="true" selected=${param('handedOff') === 'true'}>yes</option>
        <option value="false" selected=${param('handedOff') === 'false'}>no</option>
        ${problems.handedOff ? html`<option value=${param('handedOff')} selected>${param('handedOff')} (not valid)</option>` : null}
      </select></label><${Problem} id="handedOff-error" text=${problems.handedOff} /></div>
      <div class="field"><label>Attribute <input name="attr" placeholder="repo=web" value=${param('attr')} onChange=${(e) => setParam('attr', e.target.value)} ...${invalid('attr')} /></label>
        <${Problem} id="attr-error" text=${problems.attr} /></div>
      <div class="field"><label>Failed in <select name="failed" onChange=${(e) => setParam('failed', e.target.value)} ...${invalid('failed')}>
        <option value="" selected=${!param('failed')}>any or none</option>
        ${CATEGORIES.map((c) => html`<option value=${c} selected=${param('failed') === c}>${c}</option>`)}
        ${problems.failed ? html`<option value=${param('failed')} selected>${param('failed')} (not valid)</option>` : null}
      </select></label><${Problem} id="failed-error" text=${problems.failed} /></div>
      <label>Model <input name="model" value=${param('model')} onChange=${(e) => setParam('model', e.target.value)} /></label>
      ${filter.team ? null : html`<button type="button" onClick=${exportCsv}>Export CSV</button>`}
    </form>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    ${!first.data && !first.error ? html`<${Skeleton} lines=${8} />` : null}
    ${first.data && rows.length === 0 ? html`<${Empty}>No session matches these filters. Clear a filter to see more.</${Empty}>` : null}
    ${rows.length
      ? html`<div class="scroll"><table class="sessions">
        <thead><tr><th scope="col">Session</th><th scope="col">User</th><th scope="col">Status</th><th scope="col">Last activity</th>
          <th scope="col" class="num">Messages</th><th scope="col" class="num">Runs</th><th scope="col" class="num">Failed</th><th scope="col" class="num">Cost</th>
          <th scope="col" class="num">Active</th><th scope="col">Handoff</th><th scope="col">Attributes</th></tr></thead>
        <tbody>${rows.map((s) => html`<tr key=${s.id}>
          <td data-label="Session" class="session"><a href=${href(['org', org.slug, 'sessions', s.id], rangeParams(route.params))} title=${s.id}>${repoOf(s)
            ? html`<span class="repo">${repoOf(s)}</span> ` : null}<span class="sid">${s.id}</span></a></td>
          <td data-label="User">${people ? html`<a href=${href(['org', org.slug, 'users', s.user.id], rangeParams(route.params))}>${s.user.name ?? s.user.id}</a>` : s.user.name ?? s.user.id}</td>
          <td data-label="Status"><${Status} session=${s} now=${now} /></td>
          <td data-label="Last activity"><time datetime=${s.lastEventAt}>${whenShort(s.lastEventAt, org.timezone)}</time>
            <span class="started">started <time datetime=${s.startedAt}>${whenShort(s.startedAt, org.timezone)}</time></span></td>
          <td data-label="Messages" class="num">${count(s.messageCount)}</td><td data-label="Runs" class="num">${count(s.runCount)}</td>
          <td data-label="Failed" class="num">${count(s.failedRuns)}</td><td data-label="Cost" class="num">${money(s.costUsd)}</td>
          <td data-label="Active" class="num">${duration(s.activeTimeMs)}</td>
          <td data-label="Handoff">${s.handedOff ? (s.iteratedAfterHandoff ? 'local, iterated' : 'local') : '—'}</td>
          <td data-label="Attributes" class="attributes">${attributes(s.attributes)}</td></tr>`)}</tbody></table></div>`
      : null}
    ${last?.pageInfo.hasNextPage
      ? html`<button type="button" disabled=${more.loading} onClick=${() => loadMore(last.pageInfo.endCursor)}>${more.loading ? 'Loading…' : 'Load more'}</button>`
      : null}`;
}

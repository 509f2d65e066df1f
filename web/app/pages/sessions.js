// Sessions with any activity in the range: filters (the team in the URL
// among them; one that is not valid says so next to its control and is not
// applied), an order the server sorts by (sessions-order.js; in the URL,
// so a link keeps it), cursor pagination in that order, new sessions
// appearing live, CSV export of the current filter (whole org).
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { download, gql } from '../api.js';
import { orgOf, useLiveReload, useQuery } from '../query.js';
import { href, rangeOf } from '../router.js';
import { Empty, ErrorBox, Skeleton } from '../parts.js';
import { useTeam } from '../teams.js';
import { UserField } from '../user-search.js';
import { count } from '../format.js';
import { CATEGORIES, RUN_STATUSES, WASTES, exportParams, filterOf } from './sessions-filter.js';
import { SortSelect, orderOf, orderParams, orderText } from './sessions-order.js';
import { SessionsTable } from './sessions-table.js';

const QUERY = `query($org: String!, $filter: SessionFilter, $after: String, $orderBy: SessionOrder) { org(slug: $org) {
  sessions(filter: $filter, first: 25, after: $after, orderBy: $orderBy) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { id title user { id name } startedAt lastEventAt messageCount runCount succeededRuns failedRuns cancelledRuns
      costUsd activeTimeMs handedOff iteratedAfterHandoff attributes } } } } }`;
const LIVE = `subscription($org: String!) { sessionUpdated(org: $org) { session { id } } }`;

/** A filter's message, next to its control. */
const Problem = ({ id, text }) => (text ? html`<p class="field-error" id=${id} role="alert">${text}</p>` : null);

/** A select of the filter: `options` as [value, text]; a value in the URL that is not valid shows as chosen, said not valid. */
const Choice = ({ label, name, value, options, problem, onChange }) => html`<div class="field"><label>${label} <select name=${name}
    onChange=${(e) => onChange(e.target.value)} ...${problem ? { 'aria-invalid': 'true', 'aria-describedby': `${name}-error` } : {}}>
    ${options.map(([v, text]) => html`<option value=${v} selected=${!problem && value === v}>${text}</option>`)}
    ${problem ? html`<option value=${value} selected>${value} (not valid)</option>` : null}
  </select></label><${Problem} id=${`${name}-error`} text=${problem} /></div>`;

export function Sessions({ org, route, viewer }) {
  const people = viewer.role !== 'MEMBER';
  const { filter, problems } = filterOf(route.params, org.timezone);
  const { order, problem: orderProblem } = orderOf(route.params);
  const range = rangeOf(route.params, org.timezone);
  const key = JSON.stringify([filter, order]);
  const first = useQuery(QUERY, { org: org.slug, filter, orderBy: order }, (d) => orgOf(d, org.slug).sessions);
  const team = useTeam(org.slug, filter.team);
  useLiveReload(LIVE, { org: org.slug }, first.reload);
  // Pages after the first, for the filter and order they were loaded with.
  const [loaded, setMore] = useState({ key, pages: [], loading: false, error: null });
  const more = loaded.key === key ? loaded : { key, pages: [], loading: false, error: null };
  const pages = more.pages;
  const loadMore = (after) => {
    setMore({ key, pages, loading: true, error: null });
    gql(QUERY, { org: org.slug, filter, after, orderBy: order }).then(
      (d) => setMore((m) => (m.key === key ? { key, pages: [...m.pages, d.org.sessions], loading: false, error: null } : m)),
      (error) => setMore((m) => (m.key === key ? { ...m, loading: false, error } : m)),
    );
  };
  const [exportError, setExportError] = useState(null);

  const setParams = (changes) => {
    location.hash = href(route.parts, { ...Object.fromEntries(route.params), ...changes });
  };
  const setParam = (name, value) => setParams({ [name]: value });
  const sortBy = (next) => setParams(orderParams(next));
  const exportCsv = () => {
    setExportError(null);
    download(`/export/sessions.csv?${exportParams(org.slug, filter)}`, `${org.slug}-sessions.csv`).catch(setExportError);
  };

  const all = first.data ? [first.data, ...pages] : [];
  // A session that moved up since a later page was loaded shows once, at its first place.
  const seen = new Set();
  const rows = all.flatMap((p) => p.edges.map((e) => e.node)).filter((s) => !seen.has(s.id) && seen.add(s.id));
  const last = all[all.length - 1];
  const error = first.error ?? team.error ?? more.error ?? exportError;
  const param = (name) => route.params.get(name) ?? '';
  const invalid = (name) => (problems[name] ? { 'aria-invalid': 'true', 'aria-describedby': `${name}-error` } : {});
  const rawOrder = [param('sort'), param('dir')].filter(Boolean).join(' ');
  return html`
    <h1>${filter.team ? `Sessions of team ${team.data?.name ?? '…'}` : 'Sessions'} <small>${first.data ? `${count(first.data.totalCount)} in all` : ''}</small></h1>
    <p class="hint">Sessions with any activity from ${range.from} to ${range.to} (${org.timezone}), <strong class="order">${orderText(order)}</strong>${people ? '' : ', your own only'}.
      The overview counts only the sessions that started in the range, so this list can hold more. Live: an event in the last 10 minutes.</p>
    <form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Filters">
      <${UserField} slug=${org.slug} value=${param('user').trim()} search=${people} onChoose=${(id) => setParam('user', id)} />
      <${Choice} label="Run status" name="status" value=${param('status')} problem=${problems.status} onChange=${(v) => setParam('status', v)}
        options=${[['', 'any'], ...RUN_STATUSES.map((s) => [s, s.toLowerCase()])]} />
      <${Choice} label="Handed off" name="handedOff" value=${param('handedOff')} problem=${problems.handedOff} onChange=${(v) => setParam('handedOff', v)}
        options=${[['', 'any'], ['true', 'yes'], ['false', 'no']]} />
      <div class="field"><label>Attribute <input name="attr" placeholder="repo=web" value=${param('attr')} onChange=${(e) => setParam('attr', e.target.value.trim())} ...${invalid('attr')} /></label>
        <${Problem} id="attr-error" text=${problems.attr} /></div>
      <${Choice} label="Failed in" name="failed" value=${param('failed')} problem=${problems.failed} onChange=${(v) => setParam('failed', v)}
        options=${[['', 'any or none'], ...CATEGORIES.map((c) => [c, c])]} />
      <label>Model <input name="model" value=${param('model')} onChange=${(e) => setParam('model', e.target.value.trim())} /></label>
      <label>Tool <input name="tool" value=${param('tool')} onChange=${(e) => setParam('tool', e.target.value.trim())} /></label>
      <${Choice} label="Waste" name="waste" value=${param('waste')} problem=${problems.waste} onChange=${(v) => setParam('waste', v)}
        options=${[['', 'any'], ...WASTES]} />
      <div class=${`field sort-field${orderProblem ? '' : ' phone-only'}`}><label>Order <${SortSelect} order=${order} problem=${orderProblem} raw=${rawOrder} onSort=${sortBy} /></label>
        <${Problem} id="sort-error" text=${orderProblem} /></div>
      ${filter.team ? null : html`<button type="button" onClick=${exportCsv}>Export CSV</button>`}
    </form>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    ${!first.data && !first.error ? html`<${Skeleton} lines=${8} />` : null}
    ${first.data && rows.length === 0 ? html`<${Empty}>No session matches these filters. Clear a filter to see more.</${Empty}>` : null}
    ${rows.length ? html`<${SessionsTable} org=${org} route=${route} rows=${rows} order=${order} onSort=${sortBy} people=${people} />` : null}
    ${last?.pageInfo.hasNextPage
      ? html`<button type="button" disabled=${more.loading} onClick=${() => loadMore(last.pageInfo.endCursor)}>${more.loading ? 'Loading…' : `Load more (${orderText(order)})`}</button>`
      : null}`;
}

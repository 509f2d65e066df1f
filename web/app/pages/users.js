// Users of the org over the range: sortable table, CSV export; a row opens the user.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { download, gql } from '../api.js';
import { href, rangeOf, rangeParams } from '../router.js';
import { Empty, ErrorBox, Skeleton } from '../parts.js';
import { count, duration, money, percent, tokens } from '../format.js';

const QUERY = `query($org: String!, $range: DateRange!, $after: String) { org(slug: $org) {
  users(range: $range, first: 200, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { user { id name email } sessions runs avgRunsPerSession avgActiveTimeMs localHandoffRate
      postHandoffIterationRate successRate costUsd totalTokens } } } } }`;

const COLUMNS = [
  ['user', 'User', (u) => u.user.name ?? u.user.id, (u) => u.user.name ?? u.user.id],
  ['sessions', 'Sessions', (u) => count(u.sessions), (u) => u.sessions],
  ['runs', 'Runs', (u) => count(u.runs), (u) => u.runs],
  ['avgRuns', 'Runs / session', (u) => u.avgRunsPerSession?.toFixed(1) ?? '—', (u) => u.avgRunsPerSession ?? -1],
  ['active', 'Avg active time', (u) => duration(u.avgActiveTimeMs), (u) => u.avgActiveTimeMs ?? -1],
  ['handoff', 'Handoff rate', (u) => percent(u.localHandoffRate), (u) => u.localHandoffRate ?? -1],
  ['iteration', 'Iteration rate', (u) => percent(u.postHandoffIterationRate), (u) => u.postHandoffIterationRate ?? -1],
  ['success', 'Success rate', (u) => percent(u.successRate), (u) => u.successRate ?? -1],
  ['cost', 'Cost', (u) => money(u.costUsd), (u) => Number(u.costUsd)],
  ['tokens', 'Tokens', (u) => tokens(u.totalTokens), (u) => u.totalTokens],
];

export function Users({ org, route }) {
  const range = rangeOf(route.params, org.timezone);
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const sort = route.params.get('sort') ?? 'runs';
  const desc = route.params.get('dir') !== 'asc';
  useEffect(() => {
    setRows(null);
    gql(QUERY, { org: org.slug, range }).then((d) => setRows(d.org.users.edges.map((e) => e.node)), setError);
  }, [org.slug, range.from, range.to]);

  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!rows) return html`<${Skeleton} lines=${8} />`;
  const column = COLUMNS.find((c) => c[0] === sort) ?? COLUMNS[2];
  const sorted = [...rows].sort((a, b) => {
    const [x, y] = [column[3](a), column[3](b)];
    return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
  });
  const sortLink = (key) => href(route.parts, { ...Object.fromEntries(route.params), sort: key, dir: key === sort && desc ? 'asc' : 'desc' });
  const exportCsv = () =>
    download(`/export/users.csv?org=${encodeURIComponent(org.slug)}&from=${range.from}&to=${range.to}`, `${org.slug}-users.csv`).catch(setError);
  return html`
    <h1>Users <small>${count(rows.length)} active from ${range.from} to ${range.to}</small></h1>
    <p><button type="button" onClick=${exportCsv}>Export CSV</button></p>
    ${rows.length === 0
      ? html`<${Empty}>No user was active in this range. Widen the range.</${Empty}>`
      : html`<div class="scroll"><table>
        <thead><tr>${COLUMNS.map(([key, label]) => html`<th scope="col" aria-sort=${key === sort ? (desc ? 'descending' : 'ascending') : 'none'}>
          <a href=${sortLink(key)}>${label}</a></th>`)}</tr></thead>
        <tbody>${sorted.map((u) => html`<tr>${COLUMNS.map(([key, , show], i) => html`<td>${i === 0
          ? html`<a href=${href(['org', org.slug, 'users', u.user.id], rangeParams(route.params))}>${show(u)}</a>`
          : show(u)}</td>`)}</tr>`)}</tbody></table></div>`}`;
}

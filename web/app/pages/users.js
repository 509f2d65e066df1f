// Users of the org (or of the team in the URL) over the range: sortable
// table (names in natural order: "Ada 2" before "Ada 11"), cards at phone
// width with a sort selector, CSV export (whole org); a row opens the user.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { download, gql } from '../api.js';
import { href, rangeOf, rangeParams, teamOf } from '../router.js';
import { Empty, ErrorBox, pending } from '../parts.js';
import { orgOf, useLoad } from '../query.js';
import { teamIn } from '../teams.js';
import { byName, count, duration, money, percent, tokens } from '../format.js';
import { handoffOf } from '../definitions.js';

const USERS = `users(range: $range, first: 200, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { user { id name email } sessions runs avgRunsPerSession avgActiveTimeMs localHandoffRate
      postHandoffIterationRate successRate costUsd totalTokens } } }`;
const QUERY = `query($org: String!, $range: DateRange!, $after: String) { org(slug: $org) { ${USERS} } }`;
const TEAM_QUERY = `query($org: String!, $team: ID!, $range: DateRange!, $after: String) { org(slug: $org) { slug
  team(id: $team) { id name ${USERS} } } }`;

/** [key, label, shown, sort value, numeric]: the users table's columns. */
const COLUMNS = [
  ['user', 'User', (u) => u.user.name ?? u.user.id, (u) => u.user.name ?? u.user.id, false],
  ['sessions', 'Sessions', (u) => count(u.sessions), (u) => u.sessions, true],
  ['runs', 'Runs', (u) => count(u.runs), (u) => u.runs, true],
  ['avgRuns', 'Runs / session', (u) => u.avgRunsPerSession?.toFixed(1) ?? '—', (u) => u.avgRunsPerSession ?? -1, true],
  ['active', 'Avg active time', (u) => duration(u.avgActiveTimeMs), (u) => u.avgActiveTimeMs ?? -1, true],
  ['handoff', 'Handoff rate', (u) => percent(u.localHandoffRate), (u) => u.localHandoffRate ?? -1, true],
  ['iteration', 'Iteration rate', (u) => percent(u.postHandoffIterationRate), (u) => u.postHandoffIterationRate ?? -1, true],
  ['success', 'Success rate', (u) => percent(u.successRate), (u) => u.successRate ?? -1, true],
  ['cost', 'Cost', (u) => money(u.costUsd), (u) => Number(u.costUsd), true],
  ['tokens', 'Tokens', (u) => tokens(u.totalTokens), (u) => u.totalTokens, true],
];

/** What a cell's figure is out of, on hover. */
const TITLES = {
  sessions: () => 'Sessions that started in the range',
  runs: () => 'Runs that finished in the range',
  handoff: (u) => handoffOf(u.localHandoffRate, u.sessions),
  success: () => 'Succeeded ÷ (succeeded + failed) runs; cancelled runs left out',
};

/** Orders two sort values: names naturally, figures by size. */
const order = (x, y) => (typeof x === 'string' ? byName(x, y) : x - y);

/** Every user of the range (of the team, if one), page by page (the table sorts them all); and the team. */
async function allUsers(slug, range, team) {
  const rows = [];
  let after = null;
  for (;;) {
    const org = orgOf(await gql(team ? TEAM_QUERY : QUERY, { org: slug, range, after, ...(team ? { team } : {}) }), slug);
    const { users, ...of } = team ? teamIn(org, team) : org;
    rows.push(...users.edges.map((e) => e.node));
    if (!users.pageInfo.hasNextPage) return { rows, team: team ? of : null };
    after = users.pageInfo.endCursor;
  }
}

export function Users({ org, route }) {
  const range = rangeOf(route.params, org.timezone);
  const sort = route.params.get('sort') ?? 'runs';
  const desc = route.params.get('dir') !== 'asc';
  const [exportError, setExportError] = useState(null);
  const teamId = teamOf(route.params);
  const result = useLoad({ org: org.slug, range, team: teamId }, () => allUsers(org.slug, range, teamId));
  const [find, setFind] = useState('');
  const waiting = pending(result, html`<h1>Users${teamId ? ' of a team' : ''}</h1>`, 8);
  if (waiting) return waiting;
  const { rows, team } = result.data;
  const column = COLUMNS.find((c) => c[0] === sort) ?? COLUMNS[2];
  const needle = find.trim().toLowerCase();
  const shown = needle ? rows.filter((u) => [u.user.id, u.user.name, u.user.email].some((v) => v?.toLowerCase().includes(needle))) : rows;
  const sorted = [...shown].sort((a, b) => order(column[3](a), column[3](b)) * (desc ? -1 : 1) || byName(a.user.id, b.user.id));
  // Another column sorts figures largest first and names from A; the same column turns around.
  const firstDir = (key) => (COLUMNS.find((c) => c[0] === key)[4] ? 'desc' : 'asc');
  const sortLink = (key) => href(route.parts, { ...Object.fromEntries(route.params), sort: key, dir: key === column[0] ? (desc ? 'asc' : 'desc') : firstDir(key) });
  const sortBy = (key, dir) => (location.hash = href(route.parts, { ...Object.fromEntries(route.params), sort: key, dir }));
  const exportCsv = () =>
    download(`/export/users.csv?org=${encodeURIComponent(org.slug)}&from=${range.from}&to=${range.to}`, `${org.slug}-users.csv`).catch(setExportError);
  return html`
    <h1>${team ? `Users of team ${team.name}` : 'Users'} <small>${count(rows.length)} active from ${range.from} to ${range.to}</small></h1>
    <p class="hint">Everyone with at least one event in the range. Sessions count those that started in it, runs those that finished in it.</p>
    <form class="filters" aria-label="Filters" onSubmit=${(e) => e.preventDefault()}>
      <label>Find <input type="search" name="find" placeholder="name, id or email" value=${find} onInput=${(e) => setFind(e.target.value)} /></label>
      <span class="phone-only">
        <label>Sort by <select name="sort" onChange=${(e) => sortBy(e.target.value, desc ? 'desc' : 'asc')}>
          ${COLUMNS.map(([key, label]) => html`<option value=${key} selected=${key === column[0]}>${label}</option>`)}</select></label>
        <label>Order <select name="dir" onChange=${(e) => sortBy(column[0], e.target.value)}>
          <option value="desc" selected=${desc}>${column[4] ? 'largest first' : 'Z to A'}</option>
          <option value="asc" selected=${!desc}>${column[4] ? 'smallest first' : 'A to Z'}</option></select></label>
      </span>
      ${team ? null : html`<button type="button" onClick=${exportCsv}>Export CSV</button>`}
    </form>
    ${exportError ? html`<${ErrorBox} error=${exportError} />` : null}
    ${rows.length === 0
      ? html`<${Empty}>No ${team ? 'member of this team' : 'user'} was active in this range. Widen the range.</${Empty}>`
      : sorted.length === 0
      ? html`<${Empty}>No user matches "${find}".</${Empty}>`
      : html`<div class="scroll"><table class="stack users">
        <thead><tr>${COLUMNS.map(([key, label, , , numeric]) => html`<th scope="col" class=${numeric ? 'num' : undefined}
          aria-sort=${key === column[0] ? (desc ? 'descending' : 'ascending') : 'none'}>
          <a href=${sortLink(key)}>${label}<span class="sort" aria-hidden="true">${key === column[0] ? (desc ? ' ▼' : ' ▲') : ''}</span></a></th>`)}</tr></thead>
        <tbody>${sorted.map((u) => html`<tr key=${u.user.id}>${COLUMNS.map(([key, label, show, , numeric], i) => html`<td data-label=${label}
          class=${i === 0 ? 'wide' : numeric ? 'num' : undefined} title=${TITLES[key]?.(u) ?? undefined}>${i === 0
          ? html`<a href=${href(['org', org.slug, 'users', u.user.id], rangeParams(route.params))}>${show(u)}</a>`
          : show(u)}</td>`)}</tr>`)}</tbody></table></div>`}`;
}

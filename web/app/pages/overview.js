// The org overview: KPI cards against the previous period of equal length,
// daily charts, failures by category, top users (for roles that see people);
// the same for one team (`team=<id>`), and the org's teams side by side.
import { html } from '../html.js';
import { orgOf, useQuery } from '../query.js';
import { href, previous, rangeOf, rangeParams } from '../router.js';
import { Card, Empty, pending, StaleNote } from '../parts.js';
import { DailyChart } from '../chart.js';
import { teamIn, teamOf } from '../teams.js';
import { TeamsCompare } from './overview-teams.js';
import { count, delta, deltaPoints, duration, money, percent, tokens } from '../format.js';

const KPIS = `activeUsers sessions runs succeededRuns failedRuns cancelledRuns successRate costUsd inputTokens
  outputTokens durationP95Ms localHandoffRate postHandoffIterationRate errorsByCategory { category count }`;
const DAILY = `runs succeededRuns failedRuns cancelledRuns successRate costUsd inputTokens outputTokens durationP50Ms durationP95Ms`;
const FIGURES = `now: overview(range: $range) { kpis { ${KPIS} } daily { date kpis { ${DAILY} } }
    topUsers(limit: 10) @include(if: $people) { user { id name } sessions runs successRate costUsd totalTokens } }
  before: overview(range: $before) { kpis { ${KPIS} } }`;
const QUERY = `query($org: String!, $range: DateRange!, $before: DateRange!, $people: Boolean!) { org(slug: $org) { ${FIGURES} } }`;
const TEAM_QUERY = `query($org: String!, $team: ID!, $range: DateRange!, $before: DateRange!, $people: Boolean!) {
  org(slug: $org) { slug team(id: $team) { id name ${FIGURES} } } }`;

const minutes = (ms) => (ms == null ? null : ms / 60_000);
const fixed = (v) => v.toFixed(1);

export function Overview({ org, route, viewer }) {
  const range = rangeOf(route.params, org.timezone);
  const people = viewer.role !== 'MEMBER';
  const team = teamOf(route.params);
  const variables = { org: org.slug, range, before: previous(range), people };
  const result = team
    ? useQuery(TEAM_QUERY, { ...variables, team }, (d) => teamIn(orgOf(d, org.slug), team))
    : useQuery(QUERY, variables, (d) => orgOf(d, org.slug)); // one hook either way
  const span = `${range.from} – ${range.to} (${org.timezone})`;
  const heading = team
    ? html`<h1>${result.data ? `Team ${result.data.name}` : 'Team'} <small>${org.name} · ${span}</small></h1>`
    : html`<h1>${org.name} <small>${span}</small></h1>`;
  const waiting = pending(result, heading);
  if (waiting) return waiting;
  const data = result.data;
  const compare = team ? null : html`<${TeamsCompare} org=${org} route=${route} range=${range} />`;
  const k = data.now.kpis;
  const b = data.before.kpis;
  if (k.sessions === 0 && k.runs === 0) {
    const none = team ? 'No activity of this team’s members' : 'No activity';
    return html`${heading}<${Empty}>${none} from ${range.from} to ${range.to}. Widen the range${team ? ', or add members to the team' : ', or send events with ingestEvents'}.</${Empty}>${compare}`;
  }
  const failures = k.errorsByCategory.filter((f) => f.count > 0).sort((x, y) => y.count - x.count);
  const daily = data.now.daily;
  const days = daily.map((d) => d.date);
  const series = (label, color, pick) => ({ label, color, values: daily.map((d) => pick(d.kpis)) });
  const tokensNow = k.inputTokens + k.outputTokens;
  const tokensBefore = b.inputTokens + b.outputTokens;
  return html`
    ${heading}
    <${StaleNote} error=${result.error} />
    <section class="cards" aria-label="Key figures">
      <${Card} label="Active users" value=${count(k.activeUsers)} change=${delta(k.activeUsers, b.activeUsers)} />
      <${Card} label="Sessions" value=${count(k.sessions)} change=${delta(k.sessions, b.sessions)} />
      <${Card} label="Runs" value=${count(k.runs)} change=${delta(k.runs, b.runs)} />
      <${Card} label="Success rate" value=${percent(k.successRate)} change=${deltaPoints(k.successRate, b.successRate)} />
      <${Card} label="Cost" value=${money(k.costUsd)} change=${delta(Number(k.costUsd), Number(b.costUsd))} />
      <${Card} label="Tokens" value=${tokens(tokensNow)} change=${delta(tokensNow, tokensBefore)} />
      <${Card} label="p95 run duration" value=${duration(k.durationP95Ms)} change=${delta(k.durationP95Ms, b.durationP95Ms)} />
      <${Card} label="Local handoff rate" value=${percent(k.localHandoffRate)} change=${deltaPoints(k.localHandoffRate, b.localHandoffRate)} />
      <${Card} label="Iteration after handoff" value=${percent(k.postHandoffIterationRate)} change=${deltaPoints(k.postHandoffIterationRate, b.postHandoffIterationRate)} />
    </section>
    <section class="charts" aria-label="Charts">
      <${DailyChart} title="Runs per day by outcome" days=${days} format=${count} series=${[
        series('Succeeded', 'green', (d) => d.succeededRuns),
        series('Failed', 'red', (d) => d.failedRuns),
        series('Cancelled', 'amber', (d) => d.cancelledRuns),
      ]} />
      <${DailyChart} title="Success rate per day (%)" days=${days} format=${fixed} series=${[
        series('Success rate', 'green', (d) => (d.successRate == null ? null : d.successRate * 100)),
      ]} />
      <${DailyChart} title="Cost per day (USD)" days=${days} format=${money} series=${[series('Cost', 'blue', (d) => Number(d.costUsd))]} />
      <${DailyChart} title="Tokens per day" days=${days} format=${count} axis=${tokens} series=${[
        series('Input', 'violet', (d) => d.inputTokens),
        series('Output', 'orange', (d) => d.outputTokens),
      ]} />
      <${DailyChart} title="Run duration p50 / p95 (minutes)" days=${days} format=${(m) => duration(m * 60_000)} axis=${fixed} series=${[
        series('p50', 'teal', (d) => minutes(d.durationP50Ms)),
        series('p95', 'pink', (d) => minutes(d.durationP95Ms)),
      ]} />
    </section>
    <div class="columns">
      <section aria-labelledby="failures">
        <h2 id="failures">Failures by category</h2>
        ${failures.length
          ? html`<table><thead><tr><th scope="col">Category</th><th scope="col">Failed runs</th></tr></thead>
            <tbody>${failures.map((f) => html`<tr><td>${f.category}</td><td>${count(f.count)}</td></tr>`)}</tbody></table>`
          : html`<${Empty}>No failed run in this range.</${Empty}>`}
      </section>
      ${data.now.topUsers ? html`<${TopUsers} org=${org} route=${route} users=${data.now.topUsers} />` : null}
    </div>
    ${compare}`;
}

function TopUsers({ org, route, users }) {
  return html`<section aria-labelledby="top-users">
    <h2 id="top-users">Top users</h2>
    ${users.length
      ? html`<div class="scroll"><table><thead><tr><th scope="col">User</th><th scope="col">Sessions</th><th scope="col">Runs</th>
          <th scope="col">Success rate</th><th scope="col">Cost</th></tr></thead>
        <tbody>${users.map((u) => html`<tr>
          <td><a href=${href(['org', org.slug, 'users', u.user.id], rangeParams(route.params))}>${u.user.name ?? u.user.id}</a></td>
          <td>${count(u.sessions)}</td><td>${count(u.runs)}</td><td>${percent(u.successRate)}</td><td>${money(u.costUsd)}</td></tr>`)}</tbody></table></div>`
      : html`<${Empty}>No user was active in this range.</${Empty}>`}
  </section>`;
}

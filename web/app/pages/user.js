// One user: profile, KPIs for the range, the trend per day, their sessions.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { href, rangeOf, rangeParams, timeRange } from '../router.js';
import { DailyChart } from '../chart.js';
import { Card, ErrorBox, Skeleton } from '../parts.js';
import { count, duration, money, percent, when } from '../format.js';

const QUERY = `query($org: String!, $id: String!, $range: DateRange!, $filter: SessionFilter) { org(slug: $org) { user(id: $id) {
  id name email firstSeenAt lastActiveAt
  stats(range: $range) { sessions runs avgRunsPerSession avgActiveTimeMs localHandoffRate postHandoffIterationRate successRate costUsd totalTokens }
  daily(range: $range) { date kpis { sessions runs successRate costUsd } }
  sessions(filter: $filter, first: 20) { totalCount edges { node { id lastEventAt runCount costUsd } } } } } }`;

export function UserDetail({ org, id, route }) {
  const range = rangeOf(route.params, org.timezone);
  const [user, setUser] = useState(undefined);
  const [error, setError] = useState(null);
  useEffect(() => {
    gql(QUERY, { org: org.slug, id, range, filter: { range: timeRange(range, org.timezone) } }).then((d) => setUser(d.org.user), setError);
  }, [org.slug, id, range.from, range.to]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (user === undefined) return html`<${Skeleton} lines=${6} />`;
  if (user === null) return html`<p>No user ${id} in ${org.name}.</p>`;
  const s = user.stats;
  const days = user.daily.map((d) => d.date);
  return html`
    <h1>${user.name ?? user.id} <small>${user.email ?? ''}</small></h1>
    <p class="muted">First seen ${when(user.firstSeenAt, org.timezone)} · last active ${when(user.lastActiveAt, org.timezone)}</p>
    <section class="cards" aria-label="User figures">
      <${Card} label="Sessions" value=${count(s.sessions)} />
      <${Card} label="Runs" value=${count(s.runs)} />
      <${Card} label="Success rate" value=${percent(s.successRate)} />
      <${Card} label="Cost" value=${money(s.costUsd)} />
      <${Card} label="Avg active time" value=${duration(s.avgActiveTimeMs)} />
      <${Card} label="Handoff rate" value=${percent(s.localHandoffRate)} />
    </section>
    <section class="charts" aria-label="Trends">
      <${DailyChart} title="Sessions and runs per day" days=${days} format=${count} series=${[
        { label: 'Sessions', color: '#0b7285', values: user.daily.map((d) => d.kpis.sessions) },
        { label: 'Runs', color: '#3b4bdb', values: user.daily.map((d) => d.kpis.runs) },
      ]} />
      <${DailyChart} title="Cost per day (USD)" days=${days} format=${money} series=${[
        { label: 'Cost', color: '#c2255c', values: user.daily.map((d) => Number(d.kpis.costUsd)) },
      ]} />
    </section>
    <section aria-label="Sessions"><h2>Sessions <small>${count(user.sessions.totalCount)} in the range</small></h2>
      <ul>${user.sessions.edges.map(({ node }) => html`<li><a href=${href(['org', org.slug, 'sessions', node.id], rangeParams(route.params))}>${node.id}</a>
        — ${when(node.lastEventAt, org.timezone)}, ${count(node.runCount)} runs, ${money(node.costUsd)}</li>`)}</ul>
    </section>`;
}

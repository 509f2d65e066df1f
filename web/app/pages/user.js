// One user: profile, KPIs for the range, the trend per day, their sessions.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { href, rangeOf } from '../router.js';
import { Card, ErrorBox, Skeleton } from '../parts.js';
import { count, duration, money, percent, when } from '../format.js';

const QUERY = `query($org: String!, $id: String!, $range: DateRange!) { org(slug: $org) { user(id: $id) {
  id name email firstSeenAt lastActiveAt
  stats(range: $range) { sessions runs avgRunsPerSession avgActiveTimeMs localHandoffRate postHandoffIterationRate successRate costUsd totalTokens }
  daily(range: $range) { date kpis { sessions runs costUsd } }
  sessions(first: 20) { totalCount edges { node { id lastEventAt runCount costUsd } } } } } }`;

export function UserDetail({ org, id, route }) {
  const range = rangeOf(route.params);
  const [user, setUser] = useState(undefined);
  const [error, setError] = useState(null);
  useEffect(() => {
    gql(QUERY, { org: org.slug, id, range }).then((d) => setUser(d.org.user), setError);
  }, [org.slug, id, range.from, range.to]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (user === undefined) return html`<${Skeleton} lines=${6} />`;
  if (user === null) return html`<p>No user ${id} in ${org.name}.</p>`;
  const s = user.stats;
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
    <section aria-label="Trend"><h2>Per day</h2>
      <table><thead><tr><th scope="col">Day</th><th scope="col">Sessions</th><th scope="col">Runs</th><th scope="col">Cost</th></tr></thead>
        <tbody>${user.daily.filter((d) => d.kpis.sessions || d.kpis.runs).map((d) => html`<tr><td>${d.date}</td><td>${count(d.kpis.sessions)}</td><td>${count(d.kpis.runs)}</td><td>${money(d.kpis.costUsd)}</td></tr>`)}</tbody></table>
    </section>
    <section aria-label="Sessions"><h2>Sessions <small>${count(user.sessions.totalCount)}</small></h2>
      <ul>${user.sessions.edges.map(({ node }) => html`<li><a href=${href(['org', org.slug, 'sessions', node.id])}>${node.id}</a>
        — ${when(node.lastEventAt, org.timezone)}, ${count(node.runCount)} runs, ${money(node.costUsd)}</li>`)}</ul>
    </section>`;
}

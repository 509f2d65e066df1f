// One user: profile, KPIs for the range, the trend per day, their cost beside
// the org's median user (user-cost.js), their sessions.
import { html } from '../html.js';
import { orgOf, useQuery } from '../query.js';
import { href, rangeOf, rangeParams, timeRange } from '../router.js';
import { DailyChart } from '../chart.js';
import { Card, Empty, pending } from '../parts.js';
import { SessionLabel } from '../session-label.js';
import { count, duration, money, percent, tokens, when } from '../format.js';
import { handoffOf, iterationOf, successOf } from '../definitions.js';
import { CostCharts, CostPerRunCard } from './user-cost.js';
import { TokenCards, hasTelemetry } from './overview-tokens.js';
import { AGENT_KPIS } from './overview-query.js';
import { CodeCards, hasCode } from './overview-code.js';

const QUERY = `query($org: String!, $id: String!, $range: DateRange!, $filter: SessionFilter) { org(slug: $org) { user(id: $id) {
  id name email firstSeenAt lastActiveAt
  stats(range: $range) { sessions runs avgRunsPerSession avgActiveTimeMs localHandoffRate postHandoffIterationRate successRate costUsd totalTokens }
  kpis(range: $range) { costUsd inputTokens outputTokens unpricedModelCalls ${AGENT_KPIS} }
  daily(range: $range) { date kpis { sessions runs succeededRuns failedRuns cancelledRuns costUsd costPerSuccessfulRun } }
  costTrend(range: $range) { date costUsd active orgMedianCostUsd activeUsers }
  sessions(filter: $filter, first: 20) { totalCount edges { node { id title lastEventAt runCount costUsd attributes } } } } } }`;

export function UserDetail({ org, id, route }) {
  const range = rangeOf(route.params, org.timezone);
  const result = useQuery(QUERY, { org: org.slug, id, range, filter: { range: timeRange(range, org.timezone) } }, (d) => orgOf(d, org.slug).user);
  const waiting = pending(result);
  if (waiting) return waiting;
  const user = result.data;
  if (user === null) return html`<h1>No such user</h1><p>There is no user ${id} in ${org.name}.</p>`;
  const s = user.stats;
  const days = user.daily.map((d) => d.date);
  const sum = (key) => user.daily.reduce((total, d) => total + d.kpis[key], 0);
  const outcomes = { succeededRuns: sum('succeededRuns'), failedRuns: sum('failedRuns'), cancelledRuns: sum('cancelledRuns') };
  const dayHref = (day) => href(['org', org.slug, 'sessions'], { from: day, to: day, user: user.id });
  return html`
    <h1>${user.name ?? user.id} <small>${user.email ?? ''}</small></h1>
    <p class="muted">First seen ${when(user.firstSeenAt, org.timezone)} · last active ${when(user.lastActiveAt, org.timezone)}</p>
    <section class="cards" aria-label="User figures">
      <${Card} label="Sessions" value=${count(s.sessions)} />
      <${Card} label="Runs" value=${count(s.runs)} />
      <${Card} label="Success rate" value=${percent(s.successRate)} detail=${successOf(outcomes)} />
      <${Card} label="Cost" value=${money(s.costUsd)} />
      <${CostPerRunCard} daily=${user.daily} />
      <${Card} label="Avg active time" value=${duration(s.avgActiveTimeMs)} />
      <${Card} label="Runs per session" value=${s.avgRunsPerSession?.toFixed(1) ?? '—'} />
      <${Card} label="Handoff rate" value=${percent(s.localHandoffRate)} detail=${handoffOf(s.localHandoffRate, s.sessions)} />
      <${Card} label="Iteration after handoff" value=${percent(s.postHandoffIterationRate)}
        detail=${iterationOf(s.postHandoffIterationRate, s.localHandoffRate, s.sessions)} />
      <${Card} label="Tokens" value=${tokens(s.totalTokens)} />
    </section>
    ${hasTelemetry(user.kpis) ? html`<section aria-labelledby="user-agents"><h2 id="user-agents">Coding agents <small>model calls, tokens and code</small></h2>
      <${TokenCards} k=${user.kpis} b=${user.kpis} vs=${() => null} />${hasCode(user.kpis) ? html`<${CodeCards} k=${user.kpis} b=${user.kpis} vs=${() => null} />` : null}</section>` : null}
    <section class="charts" aria-label="Trends">
      <${DailyChart} title="Sessions and runs per day" days=${days} timeZone=${org.timezone} format=${count} series=${[
        { label: 'Sessions', color: 'teal', values: user.daily.map((d) => d.kpis.sessions) },
        { label: 'Runs', color: 'blue', values: user.daily.map((d) => d.kpis.runs) },
      ]} />
      <${CostCharts} name=${user.name ?? user.id} trend=${user.costTrend} daily=${user.daily} timeZone=${org.timezone} dayHref=${dayHref} />
    </section>
    <section aria-labelledby="user-sessions"><h2 id="user-sessions">Sessions <small>${count(user.sessions.totalCount)} with activity in the range</small></h2>
      ${user.sessions.edges.length === 0
        ? html`<${Empty}>No session in this range. Widen the range.</${Empty}>`
        : html`<ul class="user-sessions">${user.sessions.edges.map(({ node }) => html`<li key=${node.id}><a href=${href(['org', org.slug, 'sessions', node.id], rangeParams(route.params))}
          title=${node.id}><${SessionLabel} session=${node} /></a> <span class="muted">${when(node.lastEventAt, org.timezone)} · ${count(node.runCount)} runs · ${money(node.costUsd)}</span></li>`)}</ul>`}
      ${user.sessions.totalCount > user.sessions.edges.length
        ? html`<p><a href=${href(['org', org.slug, 'sessions'], { ...rangeParams(route.params), user: user.id })}>All ${count(user.sessions.totalCount)} sessions of ${user.name ?? user.id} →</a></p>`
        : null}
    </section>`;
}

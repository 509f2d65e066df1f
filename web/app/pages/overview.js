// The org overview: KPI cards against the previous period of equal length.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { rangeOf, previous } from '../router.js';
import { Card, Empty, ErrorBox, Skeleton } from '../parts.js';
import { DailyChart } from '../chart.js';
import { count, delta, duration, money, percent, tokens } from '../format.js';

const KPIS = `activeUsers sessions runs succeededRuns failedRuns cancelledRuns successRate costUsd inputTokens
  outputTokens durationP95Ms localHandoffRate postHandoffIterationRate errorsByCategory { category count }`;
const QUERY = `query($org: String!, $range: DateRange!, $before: DateRange!) { org(slug: $org) {
  now: overview(range: $range) { kpis { ${KPIS} } daily { date kpis { runs succeededRuns failedRuns cancelledRuns costUsd successRate durationP50Ms durationP95Ms } } }
  before: overview(range: $before) { kpis { ${KPIS} } } } }`;

export function Overview({ org, route }) {
  const range = rangeOf(route.params);
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    setData(null);
    gql(QUERY, { org: org.slug, range, before: previous(range) }).then((d) => setData(d.org), setError);
  }, [org.slug, range.from, range.to]);

  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!data) return html`<${Skeleton} lines=${6} />`;
  const k = data.now.kpis;
  const b = data.before.kpis;
  if (k.sessions === 0 && k.runs === 0) {
    return html`<h1>${org.name}</h1><${Empty}>No activity from ${range.from} to ${range.to}. Widen the range, or send events with ingestEvents.</${Empty}>`;
  }
  const days = data.now.daily.map((d) => d.date);
  const tokensNow = k.inputTokens + k.outputTokens;
  const tokensBefore = b.inputTokens + b.outputTokens;
  return html`
    <h1>${org.name} <small>${range.from} – ${range.to} (${org.timezone})</small></h1>
    <section class="cards" aria-label="Key figures">
      <${Card} label="Active users" value=${count(k.activeUsers)} change=${delta(k.activeUsers, b.activeUsers)} />
      <${Card} label="Sessions" value=${count(k.sessions)} change=${delta(k.sessions, b.sessions)} />
      <${Card} label="Runs" value=${count(k.runs)} change=${delta(k.runs, b.runs)} />
      <${Card} label="Success rate" value=${percent(k.successRate)} change=${delta(k.successRate, b.successRate)} />
      <${Card} label="Cost" value=${money(k.costUsd)} change=${delta(Number(k.costUsd), Number(b.costUsd))} />
      <${Card} label="Tokens" value=${tokens(tokensNow)} change=${delta(tokensNow, tokensBefore)} />
      <${Card} label="p95 run duration" value=${duration(k.durationP95Ms)} change=${delta(k.durationP95Ms, b.durationP95Ms)} />
      <${Card} label="Local handoff rate" value=${percent(k.localHandoffRate)} change=${delta(k.localHandoffRate, b.localHandoffRate)} />
      <${Card} label="Iteration after handoff" value=${percent(k.postHandoffIterationRate)} change=${delta(k.postHandoffIterationRate, b.postHandoffIterationRate)} />
    </section>
    <section class="charts" aria-label="Charts">
      <${DailyChart} title="Runs per day by outcome" days=${days} series=${[
        { label: 'Succeeded', color: '#1b7f3b', values: data.now.daily.map((d) => d.kpis.succeededRuns) },
        { label: 'Failed', color: '#b3261e', values: data.now.daily.map((d) => d.kpis.failedRuns) },
        { label: 'Cancelled', color: '#8a6d00', values: data.now.daily.map((d) => d.kpis.cancelledRuns) },
      ]} />
      <${DailyChart} title="Cost per day (USD)" days=${days} series=${[
        { label: 'Cost', color: '#3b4bdb', values: data.now.daily.map((d) => Number(d.kpis.costUsd)) },
      ]} />
      <${DailyChart} title="Run duration p50 / p95 (minutes)" days=${days} series=${[
        { label: 'p50', color: '#0b7285', values: data.now.daily.map((d) => (d.kpis.durationP50Ms == null ? null : d.kpis.durationP50Ms / 60_000)) },
        { label: 'p95', color: '#c2255c', values: data.now.daily.map((d) => (d.kpis.durationP95Ms == null ? null : d.kpis.durationP95Ms / 60_000)) },
      ]} />
    </section>
    <section aria-label="Failures by category">
      <h2>Failures by category</h2>
      <table><thead><tr><th scope="col">Category</th><th scope="col">Failed runs</th></tr></thead>
        <tbody>${k.errorsByCategory.map((f) => html`<tr><td>${f.category}</td><td>${count(f.count)}</td></tr>`)}</tbody></table>
    </section>
    <section aria-label="Runs per day">
      <h2>Runs per day</h2>
      <table><thead><tr><th scope="col">Day</th><th scope="col">Runs</th><th scope="col">Succeeded</th><th scope="col">Failed</th><th scope="col">Cost</th></tr></thead>
        <tbody>${data.now.daily.map((d) => html`<tr><td>${d.date}</td><td>${count(d.kpis.runs)}</td><td>${count(d.kpis.succeededRuns)}</td><td>${count(d.kpis.failedRuns)}</td><td>${money(d.kpis.costUsd)}</td></tr>`)}</tbody></table>
    </section>`;
}

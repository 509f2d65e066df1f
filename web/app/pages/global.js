// The global overview (SUPER_ADMIN), the Fleet's first tab: fleet KPIs and
// trend, top orgs by cost and by runs, org health (success rate per org
// against the fleet median); every org, to create, suspend or reactivate.
import { html } from '../html.js';
import { useQuery } from '../query.js';
import { href, rangeOf, rangeParams } from '../router.js';
import { Card, Empty, pending } from '../parts.js';
import { DailyChart } from '../chart.js';
import { count, duration, money, moneyTick, percent, tokens } from '../format.js';
import { FleetOrgs } from './fleet-orgs.js';
import { successOf } from '../definitions.js';

const QUERY = `query($range: DateRange!) { globalOverview(range: $range) {
  kpis { activeUsers sessions runs succeededRuns failedRuns cancelledRuns successRate costUsd inputTokens outputTokens durationP95Ms }
  daily { date kpis { runs costUsd } }
  topOrgs(limit: 100) { org { slug name } kpis { runs successRate costUsd activeUsers } } } }`;

/** The median of the orgs' success rates (orgs without finished runs left out). */
function medianRate(orgs) {
  const rates = orgs.map((o) => o.kpis.successRate).filter((r) => r != null).sort((a, b) => a - b);
  if (!rates.length) return null;
  const mid = Math.floor(rates.length / 2);
  return rates.length % 2 ? rates[mid] : (rates[mid - 1] + rates[mid]) / 2;
}

export function Global({ route, tabs }) {
  const range = rangeOf(route.params);
  const result = useQuery(QUERY, { range }, (d) => d.globalOverview);
  const heading = html`<h1>Fleet <small>${range.from} – ${range.to} (each org's own days)</small></h1>${tabs}`;
  const orgs = html`<${FleetOrgs} keep=${rangeParams(route.params)} />`;
  const waiting = pending(result, heading);
  if (waiting) return html`${waiting}${orgs}`;
  const data = result.data;
  const k = data.kpis;
  const median = medianRate(data.topOrgs);
  const days = data.daily.map((d) => d.date);
  const orgLink = (o) => html`<a href=${href(['org', o.org.slug, 'overview'], rangeParams(route.params))}>${o.org.name}</a>`;
  const byRuns = [...data.topOrgs].sort((a, b) => b.kpis.runs - a.kpis.runs).slice(0, 10);
  return html`
    ${heading}
    <section class="cards" aria-label="Fleet figures">
      <${Card} label="Active users" value=${count(k.activeUsers)} />
      <${Card} label="Sessions" value=${count(k.sessions)} />
      <${Card} label="Runs" value=${count(k.runs)} />
      <${Card} label="Success rate" value=${percent(k.successRate)} detail=${successOf(k)} />
      <${Card} label="Cost" value=${money(k.costUsd)} />
      <${Card} label="Tokens" value=${tokens(k.inputTokens + k.outputTokens)} />
      <${Card} label="p95 run duration" value=${duration(k.durationP95Ms)} />
    </section>
    <section class="charts" aria-label="Fleet trend">
      <${DailyChart} title="Runs per day" days=${days} timeZone="UTC" format=${count} series=${[{ label: 'Runs', color: 'blue', values: data.daily.map((d) => d.kpis.runs) }]} />
      <${DailyChart} title="Cost per day (USD)" days=${days} timeZone="UTC" format=${money} axis=${moneyTick} series=${[{ label: 'Cost', color: 'pink', values: data.daily.map((d) => Number(d.kpis.costUsd)) }]} />
    </section>
    ${data.topOrgs.length === 0
      ? html`<${Empty}>No org had activity in this range. Create one with createOrg and send events.</${Empty}>`
      : html`<section aria-labelledby="health"><h2 id="health">Org health and cost</h2>
        <div class="scroll"><table><thead><tr><th scope="col">Org</th><th scope="col" class="num">Cost</th><th scope="col" class="num">Runs</th><th scope="col" class="num">Active users</th>
          <th scope="col">Success rate (fleet median ${percent(median)})</th></tr></thead>
          <tbody>${data.topOrgs.map((o) => html`<tr><td>${orgLink(o)}</td>
            <td class="num">${money(o.kpis.costUsd)}</td><td class="num">${count(o.kpis.runs)}</td><td class="num">${count(o.kpis.activeUsers)}</td>
            <td>${percent(o.kpis.successRate)} ${health(o.kpis.successRate, median)}</td></tr>`)}</tbody></table></div></section>
        <section aria-labelledby="by-runs"><h2 id="by-runs">Top orgs by runs</h2>
          <ol>${byRuns.map((o) => html`<li>${orgLink(o)} — ${count(o.kpis.runs)} runs</li>`)}</ol></section>`}
    ${orgs}`;
}

function health(rate, median) {
  if (rate == null || median == null) return null;
  const points = (rate - median) * 100;
  if (Math.abs(points) < 0.05) return html`<span class="muted">at the median</span>`;
  return points > 0
    ? html`<span class="good">▲ ${points.toFixed(1)} pts above</span>`
    : html`<span class="bad">▼ ${(-points).toFixed(1)} pts below</span>`;
}

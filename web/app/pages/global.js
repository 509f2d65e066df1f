// The global overview (SUPER_ADMIN): fleet KPIs, top orgs, org health
// (success rate per org against the fleet median).
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { href, rangeOf } from '../router.js';
import { Card, ErrorBox, Skeleton } from '../parts.js';
import { count, money, percent } from '../format.js';

const QUERY = `query($range: DateRange!) { globalOverview(range: $range) {
  kpis { activeUsers sessions runs successRate costUsd }
  topOrgs(limit: 50) { org { slug name } kpis { runs successRate costUsd activeUsers } } } }`;

export function Global({ route }) {
  const range = rangeOf(route.params);
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { gql(QUERY, { range }).then((d) => setData(d.globalOverview), setError); }, [range.from, range.to]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!data) return html`<${Skeleton} lines=${6} />`;
  const rates = data.topOrgs.map((o) => o.kpis.successRate).filter((r) => r != null).sort((a, b) => a - b);
  const median = rates.length ? rates[Math.floor((rates.length - 1) / 2)] : null;
  const k = data.kpis;
  return html`
    <h1>Fleet <small>${range.from} – ${range.to}</small></h1>
    <section class="cards" aria-label="Fleet figures">
      <${Card} label="Active users" value=${count(k.activeUsers)} />
      <${Card} label="Sessions" value=${count(k.sessions)} />
      <${Card} label="Runs" value=${count(k.runs)} />
      <${Card} label="Success rate" value=${percent(k.successRate)} />
      <${Card} label="Cost" value=${money(k.costUsd)} />
    </section>
    <h2>Orgs by cost</h2>
    <table><thead><tr><th scope="col">Org</th><th scope="col">Cost</th><th scope="col">Runs</th><th scope="col">Active users</th><th scope="col">Success rate vs fleet median (${percent(median)})</th></tr></thead>
      <tbody>${data.topOrgs.map((o) => html`<tr><td><a href=${href(['org', o.org.slug, 'overview'], { days: route.params.get('days') ?? 30 })}>${o.org.name}</a></td>
        <td>${money(o.kpis.costUsd)}</td><td>${count(o.kpis.runs)}</td><td>${count(o.kpis.activeUsers)}</td>
        <td>${percent(o.kpis.successRate)} ${median != null && o.kpis.successRate != null ? (o.kpis.successRate >= median ? '▲' : '▼') : ''}</td></tr>`)}</tbody></table>`;
}

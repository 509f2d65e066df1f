// The org overview's breakdowns (one query): runs, success rate and cost by
// model and by each of the org's breakdown keys, the top values by cost,
// then the rest as "other" and the total. A value opens its sessions over
// the same range; "(none)" and "other" cannot be filtered on and stay text.
// The org's only: a team's overview has none. BreakdownTable also shows
// the overview's breakdown by agent (overview-agents.js), with its
// sessions and tokens.
import { html } from '../html.js';
import { orgOf, useQuery } from '../query.js';
import { href, rangeParams } from '../router.js';
import { Empty, StaleNote } from '../parts.js';
import { mayAdminister } from './admin.js';
import { count, money, percent, tokens } from '../format.js';
import { DEFINITIONS, successOf } from '../definitions.js';

const ROW = `value runs succeededRuns failedRuns cancelledRuns successRate costUsd estimatedCostUsd linesAdded linesRemoved commits pullRequests`;
const FIELDS = `rows { ${ROW} } other { ${ROW} } total { ${ROW} }`;
/** A breakdown's fields with its sessions and tokens, for a BreakdownTable with `usage`. */
const USAGE_ROW = `${ROW} sessions inputTokens outputTokens`;
export const USAGE_FIELDS = `rows { ${USAGE_ROW} } other { ${USAGE_ROW} } total { ${USAGE_ROW} }`;
/** The value the API gives to runs or sessions without one. */
const NONE = '(none)';

/** The breakdown query for `keys`: the model, and each key as `k0` … `k4`. */
function queryOf(keys) {
  const variables = keys.map((_, i) => `, $k${i}: String!`).join('');
  const byKey = keys.map((_, i) => `k${i}: breakdown(by: ATTRIBUTE, key: $k${i}) { ${FIELDS} }`).join(' ');
  return `query($org: String!, $range: DateRange!${variables}) { org(slug: $org) { overview(range: $range) {
    model: breakdown(by: MODEL) { ${FIELDS} } ${byKey} } } }`;
}

export function Breakdowns({ org, route, range, viewer }) {
  const keys = org.breakdownKeys ?? [];
  const variables = { org: org.slug, range, ...Object.fromEntries(keys.map((k, i) => [`k${i}`, k])) };
  const result = useQuery(queryOf(keys), variables, (d) => orgOf(d, org.slug).overview);
  const sessions = (filter) => href(['org', org.slug, 'sessions'], { ...rangeParams(route.params), ...filter });
  const settings = href(['org', org.slug, 'admin', 'settings']);
  return html`<section aria-labelledby="breakdowns">
    <h2 id="breakdowns">Breakdowns <small>of the finished runs, top 10 by cost</small></h2>
    <p class="hint">Runs that finished in the range: the 10 values that cost most, then the rest together. A value opens its sessions (that list holds every session with activity in the range, so it can hold more).</p>
    ${keys.length
      ? null
      : html`<p class="hint">${mayAdminister(viewer.role)
        ? html`You can choose up to five attribute keys (such as <code>repo</code>) to break these figures down by, in <a href=${settings}>Settings</a>.`
        : html`An ORG_ADMIN can choose up to five attribute keys (such as <code>repo</code>) to break these figures down by, in the org’s Settings.`}</p>`}
    ${result.data
      ? html`<div class="columns breakdowns">
        <${BreakdownTable} id="by-model" title="By model" column="Model" data=${result.data.model} link=${(value) => sessions({ model: value })} what="a model" />
        ${keys.map((key, i) => html`<${BreakdownTable} id=${`by-key-${i}`} title=${`By ${key}`} column=${key} data=${result.data[`k${i}`]}
          link=${(value) => sessions({ attr: `${key}=${value}` })} what=${`the attribute ${key}`} />`)}
      </div>`
      : result.error ? html`<${StaleNote} error=${result.error} />` : html`<p class="muted" role="status">Loading the breakdowns…</p>`}
  </section>`;
}

/**
 * One breakdown: a row per value, then "other" and the total; `link(value)`
 * opens a value's sessions. `usage` adds the sessions and the tokens
 * (input + output) of each value (from USAGE_FIELDS).
 */
export function BreakdownTable({ id, title, column, data, link, what, usage = false }) {
  const total = Number(data.total.costUsd);
  // The estimated part gets a column once any of the cost is estimated.
  const estimated = Number(data.total.estimatedCostUsd) > 0;
  // And the agents' code once any value has some (a model never has; the
  // agents' table, wide already, leaves it to the code cards above it).
  const t = data.total;
  const code = !usage && t.linesAdded + t.linesRemoved + t.commits + t.pullRequests > 0;
  const share = (row) => (total > 0 ? percent(Number(row.costUsd) / total) : '—');
  const row = (r, label, kind = 'value') => {
    const success = successOf(r);
    const used = usage ? `${count(r.inputTokens)} input + ${count(r.outputTokens)} output tokens` : null;
    return html`<tr class=${kind}>
      <th scope="row" data-label=${column} class="wide">${label}</th>
      ${usage ? html`<td data-label="Sessions" class="num">${count(r.sessions)}</td>` : null}
      <td data-label="Runs" class="num">${count(r.runs)}</td>
      <td data-label="Success rate" class="num" title=${success}>${percent(r.successRate)}${success ? html`<span class="visually-hidden"> (${success})</span>` : null}</td>
      ${usage ? html`<td data-label="Tokens" class="num" title=${used}>${tokens(r.inputTokens + r.outputTokens)}<span class="visually-hidden"> (${used})</span></td>` : null}
      <td data-label="Cost" class="num">${money(r.costUsd)}</td>
      ${estimated ? html`<td data-label="Of which estimated" class="num">${money(r.estimatedCostUsd)}</td>` : null}
      <td data-label="Share of cost" class="num">${share(r)}</td>
      ${code ? html`<td data-label="Code" class="num code">+${count(r.linesAdded)} −${count(r.linesRemoved)}<span class="visually-hidden">; </span><span class="code-counts">${count(r.commits)} ${r.commits === 1 ? 'commit' : 'commits'} · ${count(r.pullRequests)} PR${r.pullRequests === 1 ? '' : 's'}</span></td>` : null}</tr>`;
  };
  const value = (v) => (v === NONE
    ? html`<span class="muted" title=${`Runs without ${what}: not a filter of the sessions list`}>${NONE}</span>`
    : html`<a href=${link(v)} title=${`The sessions with ${what} ${v}`}>${v}</a>`);
  return html`<section aria-labelledby=${id}>
    <h3 id=${id}>${title}</h3>
    ${data.rows.length
      ? html`<table class=${`stack breakdown${usage ? ' usage' : ''}`}>
        <thead><tr><th scope="col">${column}</th>${usage ? html`<th scope="col" class="num" title=${DEFINITIONS.Sessions}>Sessions</th>` : null}<th scope="col" class="num">Runs</th>
          <th scope="col" class="num" title=${DEFINITIONS['Success rate']}>Success rate</th>
          ${usage ? html`<th scope="col" class="num" title="Input + output tokens: of the model calls in the range, and of finished runs that reported usage without calls">Tokens</th>` : null}<th scope="col" class="num">Cost</th>
          ${estimated ? html`<th scope="col" class="num" title=${DEFINITIONS['Of which estimated']}>Of which estimated</th>` : null}
          <th scope="col" class="num" title="The value’s cost ÷ the cost of every value">Share of cost</th>
          ${code ? html`<th scope="col" class="num" title="Lines added and removed, commits and pull requests the agents reported in the range">Code</th>` : null}</tr></thead>
        <tbody>${data.rows.map((r) => row(r, value(r.value)))}
          ${data.other ? row(data.other, html`<span title="Every value past the top 10">Other values</span>`, 'other') : null}</tbody>
        <tfoot>${row(data.total, 'All', 'total')}</tfoot></table>`
      : html`<${Empty}>No run finished in this range.</${Empty}>`}
  </section>`;
}

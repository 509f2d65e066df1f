// The overview's waste: what the range's spend bought nothing with — runs
// that failed or were cancelled, model calls that failed for good, and
// (once the agents report code) sessions without any code change. Each
// card gives its share of the range's cost and opens the sessions behind
// it.
import { html } from '../html.js';
import { href, rangeParams, teamOf } from '../router.js';
import { Card } from '../parts.js';
import { money, percent } from '../format.js';
import { hasCode } from './overview-code.js';

/** `k`: the range's Kpis; shown when the range cost anything. */
export function Waste({ org, route, k }) {
  const cost = Number(k.costUsd);
  if (!(cost > 0)) return null;
  const sessions = (waste) => href(['org', org.slug, 'sessions'], { ...rangeParams(route.params), team: teamOf(route.params), waste });
  const card = (label, value, waste) => {
    const share = Number(value) / cost;
    return html`<${Card} label=${label} value=${money(value)}
      change=${html`<div class="change">${percent(share)} of the cost · <a href=${sessions(waste)}>the sessions</a></div>`}
      detail=${`${percent(share)} of the range’s ${money(k.costUsd)}.`} />`;
  };
  return html`<section aria-labelledby="waste">
    <h2 id="waste">Waste <small>spend that bought no result</small></h2>
    <div class="cards" role="group" aria-label="Waste">
      ${card('Spent on failed runs', k.failedRunCostUsd, 'FAILED_RUNS')}
      ${card('Spent on failed model calls', k.failedModelCallCostUsd, 'FAILED_MODEL_CALLS')}
      ${hasCode(k) ? card('Spent without code', k.noCodeCostUsd, 'NO_CODE') : null}
    </div>
  </section>`;
}

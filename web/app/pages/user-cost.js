// A user's cost, put in context: per day beside the org's median user
// (User.costTrend), and per successful run, over the range and per day.
import { html } from '../html.js';
import { DailyChart } from '../chart.js';
import { Card } from '../parts.js';
import { compare, divide, sum } from '../decimal.js';
import { count, money, moneyTick } from '../format.js';
import { costPerSuccessOf } from '../definitions.js';

export const MEDIAN_TITLE = 'Cost per day vs the org’s median user';

/** The range's cost per successful run from the daily figures: `{ cost, succeeded, perRun }` (perRun null without a success). */
export function costPerRun(daily) {
  const cost = sum(daily.map((d) => d.kpis.costUsd));
  const succeeded = daily.reduce((total, d) => total + d.kpis.succeededRuns, 0);
  return { cost, succeeded, perRun: divide(cost, succeeded) };
}

/** The card: the range's cost per successful run, with what it divides (its definition and detail as the overview's). */
export function CostPerRunCard({ daily }) {
  const { cost, succeeded, perRun } = costPerRun(daily);
  return html`<${Card} label="Cost per successful run" value=${money(perRun)} detail=${costPerSuccessOf({ costUsd: cost, succeededRuns: succeeded })} />`;
}

/** How often the user's cost was above the median, over the days they were active: `{ above, active }`. */
export function aboveMedian(trend) {
  const active = trend.filter((d) => d.active && d.orgMedianCostUsd != null);
  return { above: active.filter((d) => compare(d.costUsd, d.orgMedianCostUsd) > 0).length, active: active.length };
}

/** The two cost charts: beside the org's median user, and per successful run. `dayHref(date)`: that day's sessions of the user. */
export function CostCharts({ name, trend, daily, timeZone, dayHref }) {
  const days = trend.map((d) => d.date);
  const { above, active } = aboveMedian(trend);
  const verdict = active
    ? `${name} was above it on ${count(above)} of the ${count(active)} ${active === 1 ? 'day' : 'days'} they were active.`
    : `${name} had no active day in the range to compare with it.`;
  return html`
    <div class="noted-chart">
      <${DailyChart} title=${MEDIAN_TITLE} days=${days} timeZone=${timeZone} format=${money} axis=${moneyTick} dayHref=${dayHref} series=${[
        { label: name, color: 'pink', values: trend.map((d) => Number(d.costUsd)) },
        { label: 'Org median', color: 'teal', values: trend.map((d) => (d.orgMedianCostUsd == null ? null : Number(d.orgMedianCostUsd))) },
      ]} />
      <p class="hint chart-about">The org’s median user: each day, the middle of the costs of the org’s users with any event that day. ${verdict}</p>
    </div>
    <div class="noted-chart">
      <${DailyChart} title="Cost per successful run, per day" days=${daily.map((d) => d.date)} timeZone=${timeZone} format=${money} axis=${moneyTick} dayHref=${dayHref} gaps series=${[
        { label: 'Per successful run', color: 'violet', values: daily.map((d) => (d.kpis.costPerSuccessfulRun == null ? null : Number(d.kpis.costPerSuccessfulRun))) },
      ]} />
      <p class="hint chart-about">The day’s cost ÷ its succeeded runs; a day without a succeeded run has no figure (a gap in the line).</p>
    </div>`;
}

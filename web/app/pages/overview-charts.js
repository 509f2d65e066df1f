// The overview's charts: runs by outcome, success rate, cost and cost per
// successful run per day, or per hour for a range of one or two days
// (`hourly`); active users (and weeks), tokens by kind, the cache hit rate,
// lines changed and run durations per day (the API has no hourly figures of
// them). A day, from a point or the
// numbers, opens its sessions.
import { html } from '../html.js';
import { href, teamOf } from '../router.js';
import { DailyChart } from '../chart.js';
import { ActiveUsers } from './overview-trends.js';
import { count, duration, money, moneyTick, tokens } from '../format.js';

const minutes = (ms) => (ms == null ? null : ms / 60_000);
const fixed = (v) => v.toFixed(1);
const percentTick = (v) => `${v} %`;
/** Succeeded ÷ (succeeded + failed), as 0–100; none without a finished run. */
const rateOf = (succeeded, failed) => (succeeded + failed === 0 ? null : (succeeded / (succeeded + failed)) * 100);

/** Cost ÷ succeeded runs; none (a gap) without a success. */
const perSuccess = (cost, succeeded) => (cost == null || !succeeded ? null : Number(cost) / succeeded);

export function OverviewCharts({ org, route, now }) {
  const team = teamOf(route.params);
  const dayHref = (day) => href(['org', org.slug, 'sessions'], { from: day, to: day, team });
  const zone = { timeZone: org.timezone, dayHref };
  const days = now.daily.map((d) => d.date);
  const daily = (label, color, pick) => ({ label, color, values: now.daily.map((d) => pick(d.kpis)) });
  // The agents' cache and code, drawn once the range has any.
  const cached = now.daily.some((d) => d.kpis.cacheReadTokens > 0 || d.kpis.cacheCreationTokens > 0);
  const coded = now.daily.some((d) => d.kpis.linesAdded > 0 || d.kpis.linesRemoved > 0);
  const hourly = now.hourly?.length ? now.hourly : null;
  // Runs, success rate and cost per hour when there are hours, else per day.
  const x = hourly ? { hours: hourly.map((h) => h.at) } : { days };
  const per = hourly ? 'hour' : 'day';
  const pick = (label, color, fromDay, fromHour) =>
    hourly ? { label, color, values: hourly.map(fromHour) } : daily(label, color, fromDay);
  return html`<section class="charts" aria-label="Charts">
    <${DailyChart} title=${`Runs per ${per} by outcome`} ...${x} ...${zone} format=${count} series=${[
      pick('Succeeded', 'green', (d) => d.succeededRuns, (h) => h.succeededRuns),
      pick('Failed', 'red', (d) => d.failedRuns, (h) => h.failedRuns),
      pick('Cancelled', 'amber', (d) => d.cancelledRuns, (h) => h.runs - h.succeededRuns - h.failedRuns),
    ]} />
    <${DailyChart} title=${`Success rate per ${per} (%)`} ...${x} ...${zone} format=${fixed} axis=${percentTick} percent series=${[
      pick('Success rate', 'green', (d) => (d.successRate == null ? null : d.successRate * 100), (h) => rateOf(h.succeededRuns, h.failedRuns)),
    ]} />
    <${DailyChart} title=${`Cost per ${per} (USD)`} ...${x} ...${zone} format=${money} axis=${moneyTick} series=${[
      pick('Cost', 'blue', (d) => Number(d.costUsd), (h) => Number(h.costUsd)),
    ]} />
    <${DailyChart} title=${`Cost per successful run per ${per} (USD)`} ...${x} ...${zone} format=${money} axis=${moneyTick} gaps
      empty="No run succeeded in this range: there is no cost per success to draw."
      note=${`All runs’ cost ÷ succeeded runs. ${hourly ? 'An hour' : 'A day'} without a successful run is a gap, not a zero.`} series=${[
      pick('Cost per success', 'violet', (d) => (d.costPerSuccessfulRun == null ? null : Number(d.costPerSuccessfulRun)), (h) => perSuccess(h.costUsd, h.succeededRuns)),
    ]} />
    <${DailyChart} title="Tokens per day" days=${days} ...${zone} format=${count} axis=${tokens} series=${[
      daily('Input', 'violet', (d) => d.inputTokens),
      daily('Output', 'orange', (d) => d.outputTokens),
    ]} />
    ${cached ? html`<${DailyChart} title="Prompt cache tokens per day" days=${days} ...${zone} format=${count} axis=${tokens}
      note="Input tokens read from and written to the models’ prompt caches: drawn apart from input and output, which they often dwarf." series=${[
      daily('Cache read', 'teal', (d) => d.cacheReadTokens),
      daily('Cache written', 'amber', (d) => d.cacheCreationTokens),
    ]} />` : null}
    ${cached ? html`<${DailyChart} title="Cache hit rate per day (%)" days=${days} ...${zone} format=${fixed} axis=${percentTick} percent gaps
      note="Cache-read tokens ÷ all input tokens of the day. A day without input tokens is a gap." series=${[
      daily('Cache hit rate', 'teal', (d) => (d.cacheHitRate == null ? null : d.cacheHitRate * 100)),
    ]} />` : null}
    ${coded ? html`<${DailyChart} title="Lines changed per day" days=${days} ...${zone} format=${count} series=${[
      daily('Added', 'green', (d) => d.linesAdded),
      daily('Removed', 'red', (d) => d.linesRemoved),
    ]} />` : null}
    <${DailyChart} title="Run duration p50 / p95 (minutes)" days=${days} ...${zone} format=${(m) => duration(m * 60_000)} axis=${fixed} series=${[
      daily('p50', 'teal', (d) => minutes(d.durationP50Ms)),
      daily('p95', 'pink', (d) => minutes(d.durationP95Ms)),
    ]} />
    <${ActiveUsers} days=${days} zone=${zone} daily=${now.daily} weekly=${now.weekly ?? null} />
  </section>`;
}

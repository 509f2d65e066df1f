// The overview's trends a manager asks for: active users per day, and per
// week (Monday–Sunday) for a range of 14 days or more (two weeks at least,
// one of them whole; shorter ranges have the daily points and the card).
// A week counts each user once, so it is not the sum of its days; a week
// cut by the range says how many of its days are in it.
import { html } from '../html.js';
import { DailyChart } from '../chart.js';
import { shortDay } from '../chart-time.js';
import { todayIn } from '../router.js';
import { count } from '../format.js';
import { WEEKS_FROM } from './overview-query.js';

/** "Nov 3 – Nov 9", or "Nov 3" for a week of one day in the range. */
const weekOf = (w) => (w.from === w.to ? shortDay(w.from) : `${shortDay(w.from)} – ${shortDay(w.to)}`);

/** Distinct active users per week: a row each, with a bar to compare them. */
function Weeks({ weeks, timeZone }) {
  const today = todayIn(timeZone);
  const cut = (w) => [w.days < 7 ? `partial: ${w.days} of 7 days` : null, w.to === today ? 'today so far' : null].filter(Boolean).join(', ');
  const most = Math.max(1, ...weeks.map((w) => w.activeUsers));
  return html`<div class="weeks-box">
    <table class="weeks">
      <caption>Per week (Monday–Sunday)</caption>
      <thead><tr><th scope="col">Week</th><th scope="col" class="num">Active users</th></tr></thead>
      <tbody>${weeks.map((w) => html`<tr class=${cut(w) ? 'partial' : undefined} data-from=${w.from} data-to=${w.to}>
        <th scope="row">${weekOf(w)}${cut(w) ? html`<span class="partial-days">${cut(w)}</span>` : null}</th>
        <td class="num"><span class="week-bar"><span class="track" aria-hidden="true"><span class="bar" style=${{ width: `${(w.activeUsers / most) * 100}%` }}></span></span>
          <span class="figure">${count(w.activeUsers)}</span></span></td>
      </tr>`)}</tbody>
    </table>
    <p class="chart-note">A week counts each user once: it is not the sum of its days.</p>
  </div>`;
}

/** Active users per day (the chart), and per week when `weekly` is there (null for a short range). */
export function ActiveUsers({ days, zone, daily, weekly }) {
  const series = [{ label: 'Active users', color: 'green', values: daily.map((d) => d.kpis.activeUsers) }];
  const title = weekly ? 'Active users per day and per week' : 'Active users per day';
  // Not "range": the note is in the chart's accessible name, which must not match the Range field's label.
  const note = weekly ? null : `Weeks are shown from ${WEEKS_FROM} days on.`;
  return html`<${DailyChart} title=${title} className=${weekly ? 'trend' : ''} days=${days} ...${zone} format=${count} series=${series} note=${note}>
    ${weekly ? html`<${Weeks} weeks=${weekly} timeZone=${zone.timeZone} />` : null}
  </${DailyChart}>`;
}

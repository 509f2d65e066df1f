// A line chart of daily series with uPlot, readable in both themes and at
// any width, with its numbers also in a table (for screen readers, and for
// anyone who wants the exact figure). Series colours are names of the
// palette in styles.css (`--c-green` …), which has a light and a dark set.
// The x axis spans exactly the days shown; the y axis starts at zero (0 to
// 100 for a percentage); hovering shows each series' value in the legend;
// today, still going, is shaded and said to be partial.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.js';
import { useTheme } from './theme.js';

const HEIGHT = 220;
const DAY = 86_400;

/** A day's date as seconds at its start (the chart's days are UTC-aligned, drawn in UTC). */
const startOf = (date) => Date.parse(`${date}T00:00:00Z`) / 1000;
const long = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' });
const short = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', month: 'short', day: 'numeric' });
const dayOf = (seconds) => long.format(new Date(seconds * 1000));

/** The x axis: a label under a day's point every few days (as many as fit), counted back from the last day. */
function dayAxis(x, style) {
  return {
    ...style,
    splits: (u) => {
      const width = u.bbox.width / devicePixelRatio;
      const every = Math.max(1, Math.ceil((x.length * 56) / Math.max(width, 1)));
      return x.filter((_, i) => (x.length - 1 - i) % every === 0);
    },
    values: (_, ticks) => ticks.map((t) => short.format(new Date(t * 1000))),
  };
}

/** The y range: 0 to 100 for a percentage, else 0 to a round number above the largest value. */
function yRange(percent) {
  if (percent) return () => [0, 100];
  return (_, min, max) => (max == null || !(max > 0) ? [0, 1] : [0, uPlot.rangeNum(0, max, 0.1, true)[1]]);
}

/** Shades today's column (figures so far) behind the series. */
function shadeToday(today, css) {
  return (u) => {
    const left = Math.max(u.bbox.left, u.valToPos(startOf(today), 'x', true));
    const right = Math.min(u.bbox.left + u.bbox.width, u.valToPos(startOf(today) + DAY, 'x', true));
    if (right <= left) return;
    const { ctx } = u;
    ctx.save();
    ctx.fillStyle = css('--line');
    ctx.globalAlpha = 0.55;
    ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
    ctx.restore();
  };
}

/**
 * `series`: `[{ label, color, values }]`, one value per day (null for none);
 * `format`: how a value reads in the table and the legend; `axis`: on the y
 * axis (the same by default); `percent`: values are 0–100 %; `timeZone`:
 * the org's, to know which day is today.
 */
export function DailyChart({ title, days, series, format = String, axis: tick = format, percent = false, timeZone = 'UTC' }) {
  const box = useRef(null);
  const theme = useTheme();
  const today = new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date());
  const partial = days.includes(today);
  useEffect(() => {
    if (!box.current || !days.length) return;
    const x = days.map((d) => startOf(d) + DAY / 2);
    const style = getComputedStyle(document.documentElement);
    const css = (name) => style.getPropertyValue(name).trim();
    const axis = { stroke: css('--muted'), grid: { stroke: css('--line') }, ticks: { stroke: css('--line') } };
    const single = days.length === 1;
    const plot = new uPlot(
      {
        width: box.current.clientWidth || 600,
        height: HEIGHT,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'UTC'),
        // Exactly the days shown: from the start of the first to the end of the last.
        scales: { x: { time: true, range: () => [startOf(days[0]), startOf(days[days.length - 1]) + DAY] }, y: { range: yRange(percent) } },
        axes: [
          single ? { ...axis, splits: () => [x[0]], values: () => [dayOf(x[0])] } : dayAxis(x, axis),
          { ...axis, size: 60, values: (_, ticks) => ticks.map(tick) },
        ],
        // The legend shows the values of the day under the pointer.
        legend: { live: true },
        cursor: { points: { size: 7 } },
        series: [{ label: 'Day', value: (_, ts, __, idx) => (idx == null ? '' : dayOf(ts)) }, ...series.map((s) => {
          const color = css(`--c-${s.color}`);
          const value = (_, v, __, idx) => (idx == null ? '' : v == null ? '—' : format(v));
          // One day is one point: drawn, since there is no line.
          return { label: s.label, stroke: color, width: 2, fill: `${color}22`, value, ...(single ? { points: { show: true, size: 8 } } : {}) };
        })],
        hooks: partial ? { drawClear: [shadeToday(today, css)] } : {},
      },
      [x, ...series.map((s) => s.values)],
      box.current,
    );
    // The plot's scales, for tests (and anyone in the console).
    box.current.uplot = plot;
    const resize = new ResizeObserver(() => plot.setSize({ width: box.current?.clientWidth || 600, height: HEIGHT }));
    resize.observe(box.current);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [JSON.stringify(days), JSON.stringify(series), theme, percent, today]);
  const span = days.length === 1 ? days[0] : `${days[0]} to ${days[days.length - 1]}`;
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <div ref=${box} role="img" aria-label=${`${title}, ${span}${partial ? '; today is partial' : ''}`}></div>
    <p class="chart-note">Point at a day for its values.${partial ? html` <span class="partial-note">Shaded: today (${today}), figures so far.</span>` : null}</p>
    <details><summary>Numbers</summary>
      <div class="scroll"><table><thead><tr><th scope="col">Day</th>${series.map((s) => html`<th scope="col" class="num">${s.label}</th>`)}</tr></thead>
        <tbody>${days.map((d, i) => html`<tr><td>${d}</td>${series.map((s) => html`<td class="num">${s.values[i] == null ? '—' : format(s.values[i])}</td>`)}</tr>`)}</tbody>
      </table></div>
    </details>
  </figure>`;
}

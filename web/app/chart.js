// A line chart of daily (or hourly) series with uPlot, readable in both
// themes and at any width, with its numbers also in a table under
// "Numbers", made when opened (for screen readers, and for anyone who wants
// the exact figure). Series colours are names of the palette in styles.css
// (`--c-green` …), which has a light and a dark set. The x axis spans
// exactly the days shown; the y axis starts at zero (0 to 100 for a
// percentage); pointing at a day (or focusing the chart
// and using the arrow keys) shows each series' value in the legend and,
// with `dayHref`, a link to that day's sessions (a click opens it too);
// today (or the current hour), still going, is shaded and said to be partial.
// A series with days of no value (`gaps`) draws each point, since a point
// between two gaps has no line to show it.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.js';
import { useTheme } from './theme.js';
import { todayIn } from './router.js';
import { DAY, HOUR, dayAxis, dayPoints, hourAxis, hourPoints, shortDay, startOf } from './chart-time.js';

const HEIGHT = 220;

/** The y range: 0 to 100 for a percentage, else 0 to a round number above the largest value. */
function yRange(percent) {
  if (percent) return () => [0, 100];
  return (_, min, max) => (max == null || !(max > 0) ? [0, 1] : [0, uPlot.rangeNum(0, max, 0.1, true)[1]]);
}

/** Shades the span still going (`from` to `to`, x seconds) behind the series. */
function shade(from, to, css) {
  return (u) => {
    const left = Math.max(u.bbox.left, u.valToPos(from, 'x', true));
    const right = Math.min(u.bbox.left + u.bbox.width, u.valToPos(to, 'x', true));
    if (right <= left) return;
    const { ctx } = u;
    ctx.save();
    ctx.fillStyle = css('--line');
    ctx.globalAlpha = 0.55;
    ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
    ctx.restore();
  };
}

/** Plots waiting to be made: see afterReads. */
let waiting = null;

/**
 * Runs `make` once the effects now running are done: every chart of a
 * render reads its width and colours first, then all are made, so that one
 * chart's new elements do not make the browser lay the page out again for
 * the next chart's reads.
 */
function afterReads(make) {
  if (!waiting) {
    waiting = [];
    queueMicrotask(() => {
      const all = waiting;
      waiting = null;
      // One chart that cannot be made does not keep the others from being made.
      for (const f of all) {
        try {
          f();
        } catch (error) {
          reportError(error);
        }
      }
    });
  }
  waiting.push(make);
}

/** Moves the plot's cursor (and so its legend) to the point drawn at `x`. */
const pointAt = (plot, x) => plot.setCursor({ left: plot.valToPos(x, 'x'), top: plot.bbox.height / devicePixelRatio / 2 });

/**
 * `days` (dates) or `hours` (the first instant of each hour); `series`:
 * `[{ label, color, values }]`, one value per point (null for none);
 * `format`: how a value reads in the table and the legend; `axis`: on the y
 * axis (the same by default); `percent`: values are 0–100 %; `timeZone`:
 * the org's, to know which day (hour) is now; `dayHref(date)`: the link to
 * a day's sessions; `gaps`: missing values are gaps, not zeros (`note`
 * says so); `note`: a line under the chart; `empty`: what it says when no
 * series has a value (every one missing); `className`: the figure's;
 * children go under the note, before the numbers.
 */
export function DailyChart({ title, days, hours, series, format = String, axis: tick = format, percent = false, gaps = false,
  timeZone = 'UTC', dayHref = null, note = null, empty = 'No figures to draw in this range.', className = '', children = null }) {
  const box = useRef(null);
  const link = useRef(dayHref);
  link.current = dayHref;
  const theme = useTheme();
  const [chosen, setChosen] = useState(null);
  const hourly = Boolean(hours);
  const points = hourly ? hourPoints(hours, timeZone) : dayPoints(days);
  const today = todayIn(timeZone);
  // The day, or hour, still going (where it is drawn); hours after it have no figures yet.
  const now = Date.now();
  const current = hourly ? (points.find((p) => p.at <= now && now < p.at + HOUR * 1000)?.start ?? null) : startOf(today);
  const partial = points.some((p) => p.start === current);
  const shown = hourly ? series.map((s) => ({ ...s, values: s.values.map((v, i) => (points[i].at > now ? null : v)) })) : series;
  const unit = hourly ? 'hour' : 'day';
  const blank = shown.every((s) => s.values.every((v) => v == null));
  useEffect(() => {
    setChosen(null);
    if (!box.current || !points.length) return;
    const x = points.map((p) => p.x);
    const style = getComputedStyle(document.documentElement);
    const css = (name) => style.getPropertyValue(name).trim();
    const axis = { stroke: css('--muted'), grid: { stroke: css('--line') }, ticks: { stroke: css('--line') } };
    const single = points.length === 1;
    const options = {
      width: box.current.clientWidth || 600,
      height: HEIGHT,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'UTC'),
      // Exactly the days (hours) shown: from the start of the first to the end of the last.
      scales: { x: { time: true, range: () => (hourly ? [points[0].start, points[points.length - 1].start + HOUR]
        : [startOf(points[0].day), startOf(points[points.length - 1].day) + DAY]) }, y: { range: yRange(percent) } },
      axes: [hourly ? hourAxis(points, axis) : dayAxis(points, axis), { ...axis, size: 60, values: (_, ticks) => ticks.map(tick) }],
      // The legend shows the values of the point under the pointer; a click is not a zoom.
      legend: { live: true },
      cursor: { points: { size: 7 }, drag: { x: false, y: false } },
      series: [{ label: hourly ? 'Hour' : 'Day', value: (_, __, ___, idx) => (idx == null ? '' : points[idx].name) }, ...shown.map((s) => {
        const color = css(`--c-${s.color}`);
        const value = (_, v, __, idx) => (idx == null ? '' : v == null ? '—' : format(v));
        // One day is one point: drawn, since there is no line; so is every point of a rate or of a series
        // with gaps (one between two empty hours stands alone), and neither has an area under it.
        const points = single ? { show: true, size: 8 } : percent || gaps ? { show: true, size: 5, fill: color } : {};
        return { label: s.label, stroke: color, width: 2, fill: percent || gaps ? undefined : `${color}22`, value, points };
      })],
      hooks: {
        ...(partial ? { drawClear: [shade(current, current + (hourly ? HOUR : DAY), css)] } : {}),
        setCursor: [(u) => u.cursor.idx != null && setChosen(u.cursor.idx)],
      },
    };
    let plot = null;
    let resize = null;
    let gone = false;
    afterReads(() => {
      const el = box.current;
      if (gone || !el) return;
      plot = new uPlot(options, [x, ...shown.map((s) => s.values)], el);
      // A click on a point opens the sessions of its day.
      plot.over.addEventListener('click', () => {
        if (plot.cursor.idx != null && link.current) location.hash = link.current(points[plot.cursor.idx].day);
      });
      // The plot's scales, for tests (and anyone in the console).
      el.uplot = plot;
      resize = new ResizeObserver(() => plot.setSize({ width: box.current?.clientWidth || 600, height: HEIGHT }));
      resize.observe(el);
    });
    return () => {
      gone = true;
      resize?.disconnect();
      plot?.destroy();
      if (box.current?.uplot === plot) delete box.current.uplot;
    };
  }, [JSON.stringify(points), JSON.stringify(shown), theme, percent, gaps, current]);

  // The keyboard moves along the points: ← → one point, Home and End the first and last.
  const onKeyDown = (e) => {
    const plot = box.current?.uplot;
    const last = points.length - 1;
    const at = chosen ?? last;
    const next = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: last }[e.key];
    if (!plot || next == null) return;
    e.preventDefault();
    pointAt(plot, points[Math.min(last, Math.max(0, next))].x);
  };
  const onFocus = () => box.current?.uplot && pointAt(box.current.uplot, points[chosen ?? points.length - 1].x);
  const picked = chosen == null ? null : points[chosen];
  const span = points.length ? (points[0].day === points[points.length - 1].day ? points[0].day : `${points[0].day} to ${points[points.length - 1].day}`) : '';
  const nowNote = hourly ? `the current hour (${points.find((p) => p.start === current)?.name}), figures so far` : `today (${today}), figures so far`;
  return html`<figure class=${`chart ${className}`.trim()}>
    <figcaption>${title}</figcaption>
    ${blank ? html`<p class="chart-empty">${empty}</p>` : null}
    <div ref=${box} role="img" tabindex="0" class=${dayHref ? 'opens' : undefined} onKeyDown=${onKeyDown} onFocus=${onFocus}
      aria-label=${`${title}, ${span}${partial ? `; ${nowNote}` : ''}.${note ? ` ${note}` : ''} Arrow keys read each ${unit}.`}></div>
    <p class="chart-note" aria-live="polite">${picked
      ? html`<strong>${picked.name}</strong>${dayHref ? html` · <a href=${dayHref(picked.day)}>Sessions of ${shortDay(picked.day)}</a>` : null}`
      : `Point at ${hourly ? 'an hour' : 'a day'} (or focus the chart and use ← →) for its values${dayHref ? '; a click opens its day’s sessions' : ''}.`}
      ${partial ? html` <span class="partial-note">Shaded: ${nowNote}.</span>` : null}
      ${note ? html` <span class="gap-note">${note}</span>` : null}</p>
    ${children}
    <${Numbers} hourly=${hourly} points=${points} shown=${shown} format=${format} dayHref=${dayHref} />
  </figure>`;
}

/**
 * The chart's figures as a table under "Numbers", made when first opened:
 * a page of charts would otherwise spend most of its elements, and of its
 * first drawing, on tables nobody has opened.
 */
function Numbers({ hourly, points, shown, format, dayHref }) {
  const [opened, setOpened] = useState(false);
  return html`<details onToggle=${(e) => e.currentTarget.open && setOpened(true)}><summary>Numbers</summary>
    ${opened ? html`<div class="scroll"><table><thead><tr><th scope="col">${hourly ? 'Hour' : 'Day'}</th>${shown.map((s) => html`<th scope="col" class="num">${s.label}</th>`)}</tr></thead>
      <tbody>${points.map((p, i) => html`<tr><td>${dayHref ? html`<a href=${dayHref(p.day)} title=${`Sessions of ${p.day}`}>${p.label}</a>` : p.label}</td>${shown.map((s) => html`<td class="num">${s.values[i] == null ? '—' : format(s.values[i])}</td>`)}</tr>`)}</tbody>
    </table></div>` : null}
  </details>`;
}

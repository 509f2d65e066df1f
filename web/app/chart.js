// A line chart of daily series with uPlot, readable in both themes and at
// any width, with its numbers also in a table (for screen readers, and for
// anyone who wants the exact figure). Series colours are names of the
// palette in styles.css (`--c-green` …), which has a light and a dark set.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.js';
import { useTheme } from './theme.js';

const HEIGHT = 220;

/**
 * `series`: `[{ label, color, values }]`, one value per day (null for none);
 * `format`: how a value reads in the table; `axis`: on the y axis (the same by default).
 */
export function DailyChart({ title, days, series, format = String, axis: tick = format }) {
  const box = useRef(null);
  const theme = useTheme();
  useEffect(() => {
    if (!box.current) return;
    const x = days.map((d) => Date.parse(`${d}T12:00:00Z`) / 1000);
    const style = getComputedStyle(document.documentElement);
    const css = (name) => style.getPropertyValue(name).trim();
    const axis = { stroke: css('--muted'), grid: { stroke: css('--line') }, ticks: { stroke: css('--line') } };
    const plot = new uPlot(
      {
        width: box.current.clientWidth || 600,
        height: HEIGHT,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'UTC'),
        axes: [axis, { ...axis, size: 60, values: (_, ticks) => ticks.map(tick) }],
        legend: { live: false },
        series: [{}, ...series.map((s) => {
          const color = css(`--c-${s.color}`);
          return { label: s.label, stroke: color, width: 2, fill: `${color}22` };
        })],
      },
      [x, ...series.map((s) => s.values)],
      box.current,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: box.current?.clientWidth || 600, height: HEIGHT }));
    resize.observe(box.current);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [JSON.stringify(days), JSON.stringify(series), theme]);
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <div ref=${box} role="img" aria-label=${`${title}, ${days[0]} to ${days[days.length - 1]}`}></div>
    <details><summary>Numbers</summary>
      <div class="scroll"><table><thead><tr><th scope="col">Day</th>${series.map((s) => html`<th scope="col">${s.label}</th>`)}</tr></thead>
        <tbody>${days.map((d, i) => html`<tr><td>${d}</td>${series.map((s) => html`<td>${s.values[i] == null ? '—' : format(s.values[i])}</td>`)}</tr>`)}</tbody>
      </table></div>
    </details>
  </figure>`;
}

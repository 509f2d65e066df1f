// The x axis of a chart over time: its points are days, or hours of the
// org's time zone; either is placed at its wall-clock time drawn as UTC, so
// a day of 23 or 25 hours still spans one day of the axis and the labels
// read as the org's clock.

export const DAY = 86_400;
export const HOUR = 3_600;

/** A date (YYYY-MM-DD) as seconds at its start. */
export const startOf = (date) => Date.parse(`${date}T00:00:00Z`) / 1000;

const utc = (options) => new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', ...options });
const long = utc({ weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' });
const weekday = utc({ weekday: 'short', month: 'short', day: 'numeric' });
const short = utc({ month: 'short', day: 'numeric' });
const at = (seconds) => new Date(seconds * 1000);
const clock = (seconds) => at(seconds).toISOString().slice(11, 16);

/** "Nov 20" for a date. */
export const shortDay = (date) => short.format(at(startOf(date)));

/** The wall-clock time of an instant in `timeZone`, as seconds drawn in UTC. */
export function wallClock(instant, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
      .formatToParts(new Date(instant))
      .map((p) => [p.type, p.value]),
  );
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute) / 1000;
}

/**
 * A chart's points: `{ x, start, day, label, name }`: `x` where it is
 * drawn (the middle of its day or hour), `start` where its span begins,
 * `day` its date, `label` for the numbers table, `name` for the readout.
 */
export function dayPoints(days) {
  return days.map((day) => ({ x: startOf(day) + DAY / 2, start: startOf(day), day, label: day, name: long.format(at(startOf(day))) }));
}

/** The points of hourly figures (`hours`: the first instant of each hour). */
export function hourPoints(hours, timeZone) {
  return hours.map((instant) => {
    const start = wallClock(instant, timeZone);
    const day = at(start).toISOString().slice(0, 10);
    return { x: start + HOUR / 2, start, day, label: `${day} ${clock(start)}`, name: `${weekday.format(at(start))}, ${clock(start)}–${clock(start + HOUR)}` };
  });
}

/** The x axis for days: a label under a day's point every few days (as many as fit), counted back from the last day. */
export function dayAxis(points, style) {
  const x = points.map((p) => p.x);
  if (x.length === 1) return { ...style, splits: () => x, values: () => [points[0].name] };
  return {
    ...style,
    splits: (u) => {
      const every = Math.max(1, Math.ceil((x.length * 56) / Math.max(u.bbox.width / devicePixelRatio, 1)));
      return x.filter((_, i) => (x.length - 1 - i) % every === 0);
    },
    values: (_, ticks) => ticks.map((t) => short.format(at(t))),
  };
}

/** The x axis for hours: a tick at the start of every few hours (as many as fit); midnight says the date. */
export function hourAxis(style) {
  return {
    ...style,
    splits: (u, _, min, max) => {
      const fit = Math.max(1, Math.floor(u.bbox.width / devicePixelRatio / 48));
      const every = [1, 2, 3, 4, 6, 12, 24].find((h) => (max - min) / (h * HOUR) <= fit) ?? 24;
      const ticks = [];
      for (let t = Math.ceil(min / (every * HOUR)) * every * HOUR; t < max; t += every * HOUR) ticks.push(t);
      return ticks;
    },
    values: (_, ticks) => ticks.map((t) => (t % DAY === 0 ? short.format(at(t)) : clock(t))),
  };
}

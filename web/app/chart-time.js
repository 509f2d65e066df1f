// The x axis of a chart over time: its points are days, or hours of the
// org's time zone. Days are placed at their date drawn as UTC; hours one
// hour apart from the first hour's wall-clock time, so a day of 25 hours
// has 25 places (the repeated hour is not drawn over the first) and the
// labels read as the org's clock.

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

/** "UTC−4", "UTC+5:30": the offset of a wall clock (seconds drawn in UTC) from the instant `at` (ms). */
const offsetOf = (wall, at) => {
  const minutes = Math.round(wall / 60 - at / 60_000);
  const size = Math.abs(minutes);
  return `UTC${minutes < 0 ? '−' : '+'}${Math.floor(size / 60)}${size % 60 ? `:${String(size % 60).padStart(2, '0')}` : ''}`;
};

/**
 * The points of hourly figures (`hours`: the first instant of each hour):
 * hour i is drawn at the first hour's wall clock + i hours (the time that
 * passed), so the hour repeated when the clocks go back gets its own place;
 * `wall` is its start on the org's clock (what the axis reads), `at` its
 * instant (ms); a repeated wall-clock hour says its UTC offset.
 */
export function hourPoints(hours, timeZone) {
  const walls = hours.map((instant) => wallClock(instant, timeZone));
  const repeated = new Set(walls.filter((w, i) => walls.indexOf(w) !== i));
  return hours.map((instant, i) => {
    const [wall, when] = [walls[i], Date.parse(instant)];
    const start = walls[0] + i * HOUR;
    const day = at(wall).toISOString().slice(0, 10);
    const offset = repeated.has(wall) ? ` (${offsetOf(wall, when)})` : '';
    return { x: start + HOUR / 2, start, wall, at: when, day, label: `${day} ${clock(wall)}${offset}`,
      name: `${weekday.format(at(wall))}, ${clock(wall)}–${clock(wall + HOUR)}${offset}` };
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

/** The x axis for hours (`points`): a tick at the start of every few hours of the org's clock (as many as fit); midnight says the date. */
export function hourAxis(points, style) {
  const wallAt = new Map(points.map((p) => [p.start, p.wall]));
  return {
    ...style,
    splits: (u, _, min, max) => {
      const fit = Math.max(1, Math.floor(u.bbox.width / devicePixelRatio / 48));
      const every = [1, 2, 3, 4, 6, 12, 24].find((h) => (max - min) / (h * HOUR) <= fit) ?? 24;
      return points.filter((p) => p.start >= min && p.start < max && (p.wall / HOUR) % every === 0).map((p) => p.start);
    },
    values: (_, ticks) => ticks.map((t) => wallAt.get(t) ?? t).map((w) => (w % DAY === 0 ? short.format(at(w)) : clock(w))),
  };
}

// Hash routes: every page is a URL that can be bookmarked and shared, with
// its state (org, range, filters) in the URL.

/** The route of the page's URL (its hash): `parts` of the path, and `params`. */
export function currentRoute(hash = location.hash) {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const decode = (part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  return { parts: path.split('/').filter(Boolean).map(decode), params: new URLSearchParams(query) };
}

export function href(parts, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const path = parts.map(encodeURIComponent).join('/');
  const search = query.toString();
  return `#/${path}${search ? `?${search}` : ''}`;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A custom range from the URL (`from`/`to`), or null for the last `days` days. */
function customRange(params) {
  const from = params.get('from');
  const to = params.get('to');
  return DATE.test(from ?? '') && DATE.test(to ?? '') && from <= to ? { from, to } : null;
}

/**
 * What is wrong with the range in the URL (it is then ignored for the last
 * 30 days), or null: dates that are not dates, a `to` before `from`, a
 * `days` not offered.
 */
export function rangeProblem(params) {
  const from = params.get('from');
  const to = params.get('to');
  if (from != null || to != null) {
    if (!DATE.test(from ?? '') || !DATE.test(to ?? '') || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) {
      return `The link’s range (from ${from || '?'} to ${to || '?'}) is not two dates: showing the last ${daysOf(params)} days.`;
    }
    if (from > to) return `The link’s range ends (${to}) before it starts (${from}): showing the last ${daysOf(params)} days.`;
    return null;
  }
  const days = params.get('days');
  if (days != null && ![7, 30, 90].includes(Number(days))) return `A range of “${days}” days is not offered (7, 30 or 90): showing the last 30 days.`;
  return null;
}

/** The last `days` (7, 30 or 90; 30 by default) asked for in the URL. */
function daysOf(params) {
  const days = Number(params.get('days'));
  return [7, 30, 90].includes(days) ? days : 30;
}

/**
 * The page's DateRange: `from`/`to` when the viewer chose a custom range,
 * else the last `days` days ending today in the org's time zone.
 */
export function rangeOf(params, timeZone = 'UTC') {
  const custom = customRange(params);
  if (custom) return custom;
  const today = todayIn(timeZone);
  return { from: shift(today, -(daysOf(params) - 1)), to: today };
}

/** A formatter of dates as YYYY-MM-DD per time zone: making one costs far more than using it, and a page asks for today often. */
const dayFormats = new Map();

/** Today's date (YYYY-MM-DD) in `timeZone` (the org's). */
export function todayIn(timeZone = 'UTC') {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone });
    dayFormats.set(timeZone, format);
  }
  return format.format(new Date());
}

/** The number of days of a DateRange. */
export const lengthOf = (range) => Math.round((Date.parse(range.to) - Date.parse(range.from)) / 86_400_000) + 1;

/** The team chosen in the URL, or null for the whole org. */
export const teamOf = (params) => params.get('team') || null;

/** The URL parameter that carries the team from page to page (none for the whole org). */
export const teamParams = (params) => (teamOf(params) ? { team: teamOf(params) } : {});

/** The URL parameters that carry the range from page to page. */
export function rangeParams(params) {
  return customRange(params) ?? { days: daysOf(params) };
}

/** A DateRange as a TimeRange: from the start of `from` to the end of `to`, in the org's time zone. */
export function timeRange(range, timeZone) {
  return { from: zonedStart(range.from, timeZone), to: zonedStart(shift(range.to, 1), timeZone) };
}

/** The instant a local date begins in `timeZone`, as an ISO string. */
const zonedStart = (date, timeZone) => zonedInstant(`${date}T00:00`, timeZone);

/** The instant of a local date and time ("2026-03-01T14:30") in `timeZone`, as an ISO string; null if it is not one. */
export function zonedInstant(local, timeZone) {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(local ?? '')) return null;
  const guess = Date.parse(`${local.length === 16 ? `${local}:00` : local}Z`);
  if (Number.isNaN(guess)) return null;
  const offset = (at) => {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
        .formatToParts(at)
        .map((p) => [p.type, p.value]),
    );
    return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) - at;
  };
  const first = guess - offset(guess);
  return new Date(guess - offset(first)).toISOString();
}

/** The local date and time now in `timeZone`, to the minute, as a datetime-local input takes it ("2026-03-01T14:30"). */
export function nowIn(timeZone = 'UTC') {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
      .formatToParts(new Date())
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

function shift(date, days) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The range of equal length just before `range`. */
export function previous(range) {
  return { from: shift(range.from, -lengthOf(range)), to: shift(range.from, -1) };
}

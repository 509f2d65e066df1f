// Numbers, money, durations and dates formatted for the reader.
const number = new Intl.NumberFormat(undefined);
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

export const count = (n) => (n == null ? '—' : number.format(n));
export const tokens = (n) => (n == null ? '—' : compact.format(n));
export const percent = (r) => (r == null ? '—' : `${(r * 100).toFixed(1)} %`);

/** Dollars from an exact decimal string: cents above $1, more digits below. */
export function money(decimal) {
  if (decimal == null) return '—';
  const value = Number(decimal);
  const digits = value === 0 ? 2 : value < 0.01 ? 6 : value < 1 ? 4 : 2;
  return `$${value.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: digits })}`;
}

/** A duration in the unit that reads best; rounded first, so 59,960 ms is "1.0 min", not "60.0 s". */
export function duration(ms) {
  if (ms == null) return '—';
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 100) / 10;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.round(ms / 6_000) / 10;
  if (minutes < 60) return `${minutes.toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A date-time in the org's time zone. */
export function when(iso, timeZone) {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { timeZone, dateStyle: 'medium', timeStyle: 'short' });
}

/** A date-time in the org's time zone for a table cell: no year when it is this year; to the second if asked. */
export function whenShort(iso, timeZone, { seconds = false } = {}) {
  if (!iso) return '—';
  const at = new Date(iso);
  const year = (d) => d.toLocaleString('en-US', { timeZone, year: 'numeric' });
  return at.toLocaleString(undefined, {
    timeZone, month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}),
    ...(year(at) === year(new Date()) ? {} : { year: 'numeric' }),
  });
}

/** The change of a quantity against the previous period, as "+12 %" ("new" from zero). */
export function delta(now, before) {
  if (now == null || before == null) return null;
  if (before === 0) return now > 0 ? 'new' : null;
  const change = ((now - before) / Math.abs(before)) * 100;
  return `${change >= 0 ? '+' : ''}${change.toFixed(0)} %`;
}

/** The change of a rate against the previous period, in percentage points: "+1.5 pts". */
export function deltaPoints(now, before) {
  if (now == null || before == null) return null;
  const points = (now - before) * 100;
  return `${points >= 0 ? '+' : ''}${points.toFixed(1)} pts`;
}

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

export function duration(ms) {
  if (ms == null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A date-time in the org's time zone. */
export function when(iso, timeZone) {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { timeZone, dateStyle: 'medium', timeStyle: 'short' });
}

/** The change of `now` against `before`, as "+12 %". */
export function delta(now, before) {
  if (now == null || before == null || before === 0) return null;
  const change = ((now - before) / Math.abs(before)) * 100;
  return `${change >= 0 ? '+' : ''}${change.toFixed(0)} %`;
}

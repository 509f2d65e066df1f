// Numbers, money, durations and dates formatted for the reader.
const number = new Intl.NumberFormat(undefined);
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

export const count = (n) => (n == null ? '—' : number.format(n));
export const tokens = (n) => (n == null ? '—' : compact.format(n));
export const percent = (r) => (r == null ? '—' : `${(r * 100).toFixed(1)} %`);

/**
 * Dollars from an exact decimal string, by one rule everywhere, so a column
 * lines up: two decimals from $1 up (and for zero), four below $1, two
 * significant digits below $0.0001; the size is judged once rounded, so
 * $0.99999 reads "$1.00": "$1,234.50", "$0.5000", "$0.0237", "$0.000012".
 */
export function money(decimal) {
  if (decimal == null) return '—';
  const value = Number(decimal);
  const size = Math.abs(value);
  const tiny = size > 0 && Number(size.toPrecision(2)) < 0.0001;
  const digits = size === 0 || Number(size.toFixed(4)) >= 1 ? 2 : 4;
  const format = tiny ? significant2 : digits === 2 ? fraction2 : fraction4;
  return `${value < 0 ? '-' : ''}$${format.format(size)}`;
}

/**
 * An amount on a chart's axis: as few decimals as its tick needs ("$0.20",
 * "$0.005", "$3", "$1.2K"), so that labels stay short enough to be read
 * whole; money's four decimals ("$0.8000") did not fit.
 */
export function moneyTick(value) {
  const size = Math.abs(value);
  let text = '0';
  if (size >= 1_000) text = compact.format(size);
  else if (size >= 1) text = upTo2.format(size);
  else if (size > 0) {
    // The tick's own decimals (0.2, 0.005; costs have at most 9), at least cents.
    text = size.toFixed(9).replace(/0+$/, '');
    if (text.split('.')[1].length < 2) text = size.toFixed(2);
  }
  return `${value < 0 ? '-' : ''}$${text}`;
}

const upTo2 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

// money's three ways to write an amount, made once (a page writes hundreds).
const fraction2 = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const fraction4 = new Intl.NumberFormat(undefined, { minimumFractionDigits: 4, maximumFractionDigits: 4 });
const significant2 = new Intl.NumberFormat(undefined, { minimumSignificantDigits: 2, maximumSignificantDigits: 2 });

/**
 * A price from an exact decimal string, every digit kept, at least two
 * decimals: "3" reads "$3.00", "0.075" "$0.075", "1250.5" "$1,250.50".
 */
export function exactMoney(decimal) {
  if (decimal == null) return '—';
  const [whole, fraction = ''] = String(decimal).replace(/^-/, '').split('.');
  return `${String(decimal).startsWith('-') ? '-' : ''}$${number.format(BigInt(whole || '0'))}.${fraction.padEnd(2, '0')}`;
}

/** Compares names the way people sort them: "Ada 2" before "Ada 11", case and accents aside. */
export const byName = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' }).compare;

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
  const text = at.toLocaleString(undefined, {
    timeZone, month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}),
    ...(year(at) === year(new Date()) ? {} : { year: 'numeric' }),
  });
  // A narrow cell breaks the line after the date, not inside the time ("3:40 PM").
  return text.replace(/ (?=[AP]M\b)/g, '\u00a0');
}

/**
 * A figure against the previous period: `{ text, direction, tone }`, or null
 * when either is missing. `points`: a rate, compared in percentage points
 * ("+1.5 pts"), else relatively ("+12 %"; "new" from zero). `better`: 'up'
 * or 'down' says which way is good for this figure (tone 'good' or 'bad');
 * null for a figure that is neither (tone 'neutral').
 */
export function compare(now, before, { points = false, better = null } = {}) {
  if (now == null || before == null) return null;
  let change;
  let text;
  if (points) {
    change = Math.round((now - before) * 1000) / 10;
    text = `${change > 0 ? '+' : ''}${change.toFixed(1)} pts`;
  } else if (before === 0) {
    if (now === 0) return { text: 'no change', direction: 'same', tone: 'neutral' };
    return { text: 'new', direction: 'up', tone: better === 'up' ? 'good' : better === 'down' ? 'bad' : 'neutral' };
  } else {
    change = Math.round(((now - before) / Math.abs(before)) * 100);
    text = `${change > 0 ? '+' : ''}${change} %`;
  }
  if (change === 0) return { text: 'no change', direction: 'same', tone: 'neutral' };
  const direction = change > 0 ? 'up' : 'down';
  return { text, direction, tone: better ? (better === direction ? 'good' : 'bad') : 'neutral' };
}

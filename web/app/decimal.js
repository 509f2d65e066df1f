// Exact arithmetic on the API's decimal strings ("0.3079415"), for the few
// figures the dashboard derives itself: sums, comparisons, a cost per item.
const PLACES = 12;
const SCALE = 10n ** BigInt(PLACES);

/** A decimal string as an integer of 10^-12 units (digits past the 12th are cut). */
function units(decimal) {
  const text = String(decimal ?? '0').trim();
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = text.replace(/^[-+]/, '').split('.');
  const value = BigInt(whole || '0') * SCALE + BigInt((fraction + '0'.repeat(PLACES)).slice(0, PLACES));
  return negative ? -value : value;
}

/** Units back to a decimal string, without trailing zeros. */
function text(value) {
  const negative = value < 0n;
  const size = negative ? -value : value;
  const fraction = String(size % SCALE).padStart(PLACES, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${size / SCALE}${fraction ? `.${fraction}` : ''}`;
}

/** The exact sum of decimal strings. */
export const sum = (decimals) => text(decimals.reduce((total, d) => total + units(d), 0n));

/** -1, 0 or 1 as `a` is below, equal to or above `b`. */
export function compare(a, b) {
  const [x, y] = [units(a), units(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `decimal` ÷ `count`, rounded half up to `places` decimals (as the API rounds a cost per run); null for a count of 0. */
export function divide(decimal, count, places = 6) {
  if (!count) return null;
  const step = 10n ** BigInt(PLACES - places);
  const value = units(decimal);
  const quotient = (2n * (value < 0n ? -value : value)) / (BigInt(count) * step);
  const rounded = ((quotient + 1n) / 2n) * step;
  return text(value < 0n ? -rounded : rounded);
}

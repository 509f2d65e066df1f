// Hash routes: every page is a URL that can be bookmarked and shared, with
// its state (org, range, filters) in the URL.
import { useEffect, useState } from 'preact/hooks';

export function parse(hash = location.hash) {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query) };
}

export function href(parts, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const path = parts.map(encodeURIComponent).join('/');
  return `#/${path}${query.size ? `?${query}` : ''}`;
}

export function useRoute() {
  const [route, setRoute] = useState(parse());
  useEffect(() => {
    const onChange = () => setRoute(parse());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** The last `days` days ending today, as a DateRange in local dates. */
export function rangeOf(params) {
  const days = Number(params.get('days') ?? 30);
  const to = params.get('to') ?? new Date().toISOString().slice(0, 10);
  const from = params.get('from') ?? shift(to, -(days - 1));
  return { from, to };
}

export function shift(date, days) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The range of equal length just before `range`. */
export function previous(range) {
  const length = (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 + 1;
  return { from: shift(range.from, -length), to: shift(range.from, -1) };
}

// Small shared pieces: loading skeletons, errors, empty states, KPI cards.
import { useId } from 'preact/hooks';
import { html } from './html.js';
import { DEFINITIONS } from './definitions.js';

export const Skeleton = ({ lines = 3 }) =>
  html`<div class="skeleton" role="status" aria-label="Loading">${Array.from({ length: lines }, () => html`<div class="bar"></div>`)}</div>`;

const TITLES = { FORBIDDEN: 'Not allowed', NOT_FOUND: 'Not found', UNAVAILABLE: 'Cannot reach agentmon' };

export const ErrorBox = ({ error }) =>
  html`<div class="error" role="alert"><strong>${TITLES[error.code] ?? 'Something went wrong'}</strong>
    <p>${error.message}</p></div>`;

/** A failed refresh while older figures stay on screen. */
export const StaleNote = ({ error }) =>
  error ? html`<p class="error" role="status">Could not refresh: ${error.message} The figures below may be out of date.</p>` : null;

export const Empty = ({ children }) => html`<div class="empty">${children}</div>`;

/** A name (a tool's, a model's) with line breaks allowed after its separators (`_`, `.`, `/`, `:`), so a long one wraps between words. */
export const breakable = (name) => name.split(/(?<=[_./:])(?![_./:])/).flatMap((part, i) => (i ? [html`<wbr />`, part] : [part]));

/**
 * A KPI card. Its definition (DEFINITIONS[label], or `definition`) and
 * `detail` (a rate's denominator) show on hover (title) and on keyboard
 * focus, and are its accessible description. `change`: a Change line.
 */
export function Card({ label, value, change, small, definition = DEFINITIONS[label], detail }) {
  const id = useId();
  const about = [definition, detail].filter(Boolean).join(' ');
  if (!about) {
    return html`<div class="card"><div class="label">${label}</div><div class=${small ? 'value small' : 'value'}>${value}</div>${change}</div>`;
  }
  return html`<div class="card" tabindex="0" role="group" title=${about} aria-labelledby=${`${id}-l ${id}-v`} aria-describedby=${`${id}-d`}>
    <div class="label" id=${`${id}-l`}>${label}</div><div class=${small ? 'value small' : 'value'} id=${`${id}-v`}>${value}</div>
    ${change}<p class="definition" id=${`${id}-d`}>${about}</p></div>`;
}

const ARROWS = { up: '▲ ', down: '▼ ', same: '' };
const TONES = { good: 'better', bad: 'worse', neutral: '' };

/**
 * A card's change against the previous period of `days` days: `result`
 * from format.js `compare`; `enough` false says the previous period has
 * too little data to compare with (no percentage then); `today`: the range
 * ends today, which is not over: no percentage for 7 days or fewer (a day
 * weighs too much), else it is said to count today so far.
 */
export function Change({ result, enough, days, today = false }) {
  const vs = `previous ${days} d`;
  if (today && days <= 7) return html`<div class="change">No change shown: today is not over</div>`;
  if (!enough) return html`<div class="change">Not enough data in the ${vs}</div>`;
  if (!result) return html`<div class="change">No figure for the ${vs}</div>`;
  return html`<div class=${`change ${result.tone}`}><span class="delta"><span aria-hidden="true">${ARROWS[result.direction]}</span>${result.text}</span>
    ${TONES[result.tone] ? html`<span class="visually-hidden"> (${TONES[result.tone]})</span>` : null} <span class="vs">${today ? 'incl. today so far, ' : ''}vs ${vs}</span></div>`;
}

/**
 * The first loading/error/empty state of a page, or null once `data` is
 * there. `heading` stays on screen while loading.
 */
export function pending({ data, error }, heading = null, lines = 6) {
  if (data !== undefined) return null;
  if (error) return html`${heading}<${ErrorBox} error=${error} />`;
  return html`${heading}<${Skeleton} lines=${lines} />`;
}

/** The time zones to choose from: the browser's IANA list, with UTC and `current` always in it. */
export function timeZones(current) {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return [...new Set(['UTC', ...all, current].filter(Boolean))];
}

// Small shared pieces: loading skeletons, errors, empty states, KPI cards.
import { html } from './html.js';

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

export const Card = ({ label, value, change, small }) =>
  html`<div class="card"><div class="label">${label}</div><div class=${small ? 'value small' : 'value'}>${value}</div>
    ${change ? html`<div class="change">${change}<span class="visually-hidden"> against the previous period</span></div>` : null}</div>`;

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

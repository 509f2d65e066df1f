// Small shared pieces: loading skeletons, errors, empty states, KPI cards.
import { html } from './html.js';

export const Skeleton = ({ lines = 3 }) =>
  html`<div class="skeleton" role="status" aria-label="Loading">${Array.from({ length: lines }, () => html`<div class="bar"></div>`)}</div>`;

export const ErrorBox = ({ error }) =>
  html`<div class="error" role="alert"><strong>${error.code === 'FORBIDDEN' ? 'Not allowed' : 'Something went wrong'}</strong>
    <p>${error.message}</p></div>`;

export const Empty = ({ children }) => html`<div class="empty">${children}</div>`;

export const Card = ({ label, value, change }) =>
  html`<div class="card"><div class="label">${label}</div><div class="value">${value}</div>
    ${change ? html`<div class="change" title="against the previous period">${change}</div>` : null}</div>`;

// How a session is named where people pick it from a list: its repo (the
// label they know it by), then its id, cut to fit (whole in the title).
import { html } from './html.js';

/** The session's repo attribute (null if it has none). */
export const repoOf = (s) => (typeof s.attributes?.repo === 'string' && s.attributes.repo ? s.attributes.repo : null);

/** The repo, then the id: the inside of a link to the session. */
export const SessionLabel = ({ session }) =>
  html`${repoOf(session) ? html`<span class="repo">${repoOf(session)}</span> ` : null}<span class="sid">${session.id}</span>`;

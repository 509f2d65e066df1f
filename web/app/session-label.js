// How a session is named where people pick it from a list: its repo, or
// else its first user message (the labels they know it by), then its id,
// cut to fit (whole on hover).
import { html } from './html.js';

/** The session's repo attribute (null if it has none). */
export const repoOf = (s) => (typeof s.attributes?.repo === 'string' && s.attributes.repo ? s.attributes.repo : null);

/** The repo or the first user message (`title`, when the query asked for it), then the id: the inside of a link to the session. */
export function SessionLabel({ session }) {
  const repo = repoOf(session);
  const named = repo
    ? html`<span class="repo">${repo}</span> `
    : session.title
      ? html`<span class="repo said" title=${session.title}>${session.title}</span> `
      : null;
  return html`${named}<span class="sid">${session.id}</span>`;
}

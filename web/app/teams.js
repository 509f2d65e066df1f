// Teams in the pages that show figures: the team chosen in the URL
// (`team=<id>`, carried like the range), the selector beside the range, and
// the team's name for a page's heading.
import { useEffect } from 'preact/hooks';
import { html } from './html.js';
import { ApiError, errorOf, gql } from './api.js';
import { orgOf, useLoad, useQuery } from './query.js';
import { href, teamOf } from './router.js';
import { byName } from './format.js';

const TEAMS = `query($org: String!) { org(slug: $org) { teams { id name } } }`;
const NAME = `query($org: String!, $team: ID!) { org(slug: $org) { team(id: $team) { id name } } }`;

/** Says that teams were created, renamed, changed or deleted: the selector reads them again. */
export const teamsChanged = () => dispatchEvent(new Event('agentmon:teams'));

/** A team of an answer; one that is gone (or never was) is an error, not a blank page. */
export function teamIn(org, id) {
  if (!org.team) throw new ApiError(`There is no team "${id}" in ${org.slug ?? 'this org'} any more. Choose another in the Team selector.`, 'NOT_FOUND');
  return org.team;
}

/**
 * The refusal (FORBIDDEN) of a field at `path` (or below it) in an
 * answer's `errors`, as an ApiError, or null. A MEMBER may not see the
 * figures of a team that has one member besides them: they would be that
 * person's figures.
 */
export function refusedAt(errors, path) {
  const error = errors.find((e) => e.extensions?.code === 'FORBIDDEN' && path.every((step, i) => e.path?.[i] === step));
  return error ? errorOf(error) : null;
}

/** Why a team's figures are hidden, in a few words (the server's reason if it is another one). */
export const hiddenBecause = (error) =>
  /one member besides you/i.test(error.message) ? 'one member besides you — for managers and up' : error.message;

/** The chosen team's `{ id, name }` (null for the whole org), for a page's heading. */
export function useTeam(slug, id) {
  return useLoad({ slug, id }, () =>
    id ? gql(NAME, { org: slug, team: id }).then((d) => teamIn(orgOf(d, slug), id)) : Promise.resolve(null));
}

/** The team selector: "Whole org" and each team of the org; the choice goes into the URL. */
export function TeamPicker({ route, slug }) {
  const teams = useQuery(TEAMS, { org: slug }, (d) => orgOf(d, slug).teams);
  useEffect(() => {
    addEventListener('agentmon:teams', teams.reload);
    return () => removeEventListener('agentmon:teams', teams.reload);
  }, [slug]);
  const chosen = teamOf(route.params);
  const list = [...(teams.data ?? [])].sort((a, b) => byName(a.name, b.name));
  // A team in the URL that is not (yet) listed still shows as chosen.
  const unknown = chosen && !list.some((t) => t.id === chosen);
  const pick = (value) => {
    const params = Object.fromEntries(route.params);
    delete params.team;
    location.hash = href(route.parts, { ...params, team: value || undefined });
  };
  return html`<label class="team">Team <select aria-label="Team" onChange=${(e) => pick(e.target.value)} aria-busy=${teams.data ? undefined : 'true'}>
    <option value="" selected=${!chosen}>Whole org</option>
    ${list.map((t) => html`<option value=${t.id} selected=${t.id === chosen}>${t.name}</option>`)}
    ${unknown ? html`<option value=${chosen} selected>${teams.data ? 'Unknown team' : 'Loading…'}</option>` : null}
  </select></label>`;
}

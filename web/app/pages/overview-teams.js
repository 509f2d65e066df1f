// The org's teams side by side over the overview's range (one query): a
// row per team, each a link to the overview of that team. Nothing when the
// org has no team. A team whose figures the viewer may not see (a MEMBER,
// a team of one member besides them) says so in its row; the others show
// theirs.
import { html } from '../html.js';
import { errorOf, gqlAnswer } from '../api.js';
import { orgOf, useLoad } from '../query.js';
import { hiddenBecause, refusedAt } from '../teams.js';
import { href, rangeParams } from '../router.js';
import { StaleNote } from '../parts.js';
import { byName, count, duration, money, percent } from '../format.js';

const QUERY = `query($org: String!, $range: DateRange!) { org(slug: $org) { teams { id name
  overview(range: $range) { kpis { sessions runs successRate costUsd durationP50Ms } } } } }`;

/** The teams of an answer, `hidden` (why) on those whose overview was refused. */
function teamsOf({ data, errors }, slug) {
  const teams = data.org?.teams;
  if (!teams) {
    if (errors.length) throw errorOf(errors[0]);
    return orgOf(data, slug).teams;
  }
  return teams.map((t, i) => {
    if (t.overview) return t;
    const refused = refusedAt(errors, ['org', 'teams', i]);
    if (!refused) throw errorOf(errors[0] ?? { message: `The server sent no figures for team "${t.name}".` });
    return { ...t, hidden: hiddenBecause(refused) };
  });
}

export function TeamsCompare({ org, route, range }) {
  const variables = { org: org.slug, range };
  const result = useLoad(variables, () => gqlAnswer(QUERY, variables).then((answer) => teamsOf(answer, org.slug)));
  // A team comparison that cannot load does not hide the org's figures.
  if (!result.data?.length) return result.error ? html`<${StaleNote} error=${result.error} />` : null;
  const teams = [...result.data].sort((a, b) => byName(a.name, b.name));
  const link = (t) => href(['org', org.slug, 'overview'], { ...rangeParams(route.params), team: t.id });
  return html`<section aria-labelledby="teams">
    <h2 id="teams">Teams <small>${range.from} – ${range.to}, current members</small></h2>
    <table class="stack teams">
      <thead><tr><th scope="col">Team</th><th scope="col" class="num">Sessions</th><th scope="col" class="num">Runs</th><th scope="col" class="num">Success rate</th>
        <th scope="col" class="num">Cost</th><th scope="col" class="num">p50 run duration</th></tr></thead>
      <tbody>${teams.map((t) => {
        if (t.hidden) {
          return html`<tr key=${t.id} class="hidden-figures"><td data-label="Team" class="wide">${t.name}</td>
            <td colspan="5" class="wide muted">Figures hidden: ${t.hidden}.</td></tr>`;
        }
        const k = t.overview.kpis;
        return html`<tr key=${t.id}><td data-label="Team" class="wide"><a href=${link(t)}>${t.name}</a></td>
          <td data-label="Sessions" class="num">${count(k.sessions)}</td><td data-label="Runs" class="num">${count(k.runs)}</td>
          <td data-label="Success rate" class="num">${percent(k.successRate)}</td><td data-label="Cost" class="num">${money(k.costUsd)}</td>
          <td data-label="p50 run duration" class="num">${duration(k.durationP50Ms)}</td></tr>`;
      })}</tbody></table>
  </section>`;
}

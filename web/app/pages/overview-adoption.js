// The overview's adoption: how many of the org's members (or the team's)
// used an agent in the range, and how many active users are new or came
// back; active users per calendar month when the range spans more than
// one. Loaded once the overview's figures are drawn.
import { html } from '../html.js';
import { orgOf, useQuery } from '../query.js';
import { Card, StaleNote } from '../parts.js';
import { count, percent } from '../format.js';

const FIELDS = 'members activeMembers memberShare activeUsers newUsers returningUsers monthly { from to days activeUsers }';
const ORG_QUERY = `query($org: String!, $range: DateRange!) { org(slug: $org) { overview(range: $range) { adoption { ${FIELDS} } } } }`;
const TEAM_QUERY = `query($org: String!, $team: ID!, $range: DateRange!) { org(slug: $org) { team(id: $team) { overview(range: $range) { adoption { ${FIELDS} } } } } }`;

const MONTH = new Intl.DateTimeFormat('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
const monthOf = (m) => MONTH.format(new Date(`${m.from}T00:00:00Z`));

/** `team`: a team id for its members, else the org. */
export function Adoption({ org, range, team }) {
  const result = team
    ? useQuery(TEAM_QUERY, { org: org.slug, team, range }, (d) => orgOf(d, org.slug).team.overview.adoption)
    : useQuery(ORG_QUERY, { org: org.slug, range }, (d) => orgOf(d, org.slug).overview.adoption);
  const a = result.data;
  const whose = team ? 'the team’s members' : 'the org’s members';
  return html`<section aria-labelledby="adoption">
    <h2 id="adoption">Adoption <small>who uses the agents</small></h2>
    ${a
      ? html`<div class="cards" role="group" aria-label="Adoption">
          <${Card} label="Members using agents" value=${a.members ? `${count(a.activeMembers)} of ${count(a.members)}` : '—'}
            change=${html`<div class="change">${a.members ? `${percent(a.memberShare)} of ${whose}` : `No members yet`}</div>`}
            detail=${a.members ? `${count(a.activeMembers)} of ${count(a.members)} ${team ? 'team members' : 'members'} had an event in the range; ${count(a.activeUsers)} users in all.`
              : `Nobody has a role ${team ? 'in this team' : 'in this org'} yet: members are the people who signed in or were given a role.`} />
          <${Card} label="New users" value=${count(a.newUsers)} detail=${`${count(a.newUsers)} of ${count(a.activeUsers)} active users had their first event in the range.`} />
          <${Card} label="Returning users" value=${count(a.returningUsers)} detail=${`${count(a.returningUsers)} of ${count(a.activeUsers)} active users had an event before the range too.`} />
        </div>
        ${a.monthly.length > 1 ? html`<${Months} months=${a.monthly} />` : null}`
      : result.error ? html`<${StaleNote} error=${result.error} />` : html`<p class="muted" role="status">Loading adoption…</p>`}
  </section>`;
}

function Months({ months }) {
  const cut = (m) => m.days < new Date(Date.UTC(+m.from.slice(0, 4), +m.from.slice(5, 7), 0)).getUTCDate();
  return html`<table class="months">
    <caption>Active users per month</caption>
    <thead><tr><th scope="col">Month</th><th scope="col" class="num">Active users</th></tr></thead>
    <tbody>${months.map((m) => html`<tr data-from=${m.from}><th scope="row">${monthOf(m)}${cut(m) ? html` <span class="partial-days">partial: ${m.days} days</span>` : null}</th>
      <td class="num">${count(m.activeUsers)}</td></tr>`)}</tbody>
  </table>`;
}

// The overview's top users by runs: a name opens the user's page, the
// sessions figure (sessions started in the range) the list of their
// sessions with any activity in the range, which its link text says.
import { html } from '../html.js';
import { href, rangeParams } from '../router.js';
import { Empty } from '../parts.js';
import { count, money, percent } from '../format.js';

export function TopUsers({ org, route, users }) {
  const range = rangeParams(route.params);
  return html`<section aria-labelledby="top-users">
    <h2 id="top-users">Top users <small>by runs</small></h2>
    ${users.length
      ? html`<table class="stack top-users"><thead><tr><th scope="col">User</th><th scope="col" class="num">Sessions</th><th scope="col" class="num">Runs</th>
          <th scope="col" class="num">Success rate</th><th scope="col" class="num">Cost</th></tr></thead>
        <tbody>${users.map((u) => {
          const name = u.user.name ?? u.user.id;
          return html`<tr>
          <td data-label="User" class="wide"><a href=${href(['org', org.slug, 'users', u.user.id], range)}>${name}</a></td>
          <td data-label="Sessions" class="num"><a href=${href(['org', org.slug, 'sessions'], { ...range, user: u.user.id })}
            title=${`The sessions of ${name} with activity in the range`}>${count(u.sessions)}<span class="visually-hidden"> started; open the sessions of ${name} with activity in the range</span></a></td>
          <td data-label="Runs" class="num">${count(u.runs)}</td>
          <td data-label="Success rate" class="num">${percent(u.successRate)}</td><td data-label="Cost" class="num">${money(u.costUsd)}</td></tr>`;
        })}</tbody></table>`
      : html`<${Empty}>No user was active in this range.</${Empty}>`}
  </section>`;
}

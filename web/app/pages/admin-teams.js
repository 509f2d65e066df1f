// Teams of the org: the list, a form that creates one, an editor of a team's
// members (the org's members and its users of the last 90 days, with a
// search box), deletion after a confirmation. Changes reach the team
// selector of the other pages.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { orgOf, useQuery } from '../query.js';
import { rangeOf } from '../router.js';
import { Confirm } from '../confirm.js';
import { Empty, pending, StaleNote } from '../parts.js';
import { byName as naturally, count } from '../format.js';
import { teamsChanged } from '../teams.js';

const QUERY = `query($org: String!, $range: DateRange!) { org(slug: $org) { teams { id name members { id name email } }
  members { id name email } users(range: $range, first: 200) { edges { node { user { id name email } } } } } }`;
const CREATE = `mutation($org: String!, $name: String!) { createTeam(org: $org, name: $name) { id name } }`;
const SET_MEMBERS = `mutation($org: String!, $team: ID!, $ids: [String!]!) { setTeamMembers(org: $org, team: $team, userIds: $ids) { id members { id } } }`;
const DELETE = `mutation($org: String!, $team: ID!) { deleteTeam(org: $org, team: $team) }`;

const nameOf = (u) => u.name ?? u.email ?? u.id;
const byName = (a, b) => naturally(nameOf(a), nameOf(b));
const SHOWN_NAMES = 5;

/** Everyone a team may hold: the org's members, its recent users and the teams' members, once each. */
function peopleOf(org) {
  const all = new Map();
  const add = (u) => all.set(u.id, { ...all.get(u.id), ...Object.fromEntries(Object.entries(u).filter(([, v]) => v != null)) });
  [...org.members, ...org.users.edges.map((e) => e.node.user), ...org.teams.flatMap((t) => t.members)].forEach(add);
  return [...all.values()].sort(byName);
}

export function Teams({ org }) {
  const range = rangeOf(new URLSearchParams('days=90'), org.timezone);
  const result = useQuery(QUERY, { org: org.slug, range }, (d) => orgOf(d, org.slug));
  const [editing, setEditing] = useState(null);
  const [deleting, setDeleting] = useState(null);
  const [note, setNote] = useState('');
  const heading = html`<h2>Teams</h2>`;
  const waiting = pending(result, heading);
  if (waiting) return waiting;
  const teams = [...result.data.teams].sort(byName);
  const people = peopleOf(result.data);
  const changed = (message) => { setNote(message); result.reload(); teamsChanged(); };
  const edited = teams.find((t) => t.id === editing);
  return html`
    ${heading}
    <p class="hint">A team is a set of the org's users. Pick one in the Team selector of the overview, sessions and users pages to see its figures; the overview compares the teams.</p>
    <${StaleNote} error=${result.error} />
    <${CreateTeam} org=${org} onCreated=${(t) => { changed(`Created team ${t.name}: now add its members.`); setEditing(t.id); }} />
    <p class="good" role="status">${note}</p>
    ${teams.length === 0
      ? html`<${Empty}>No team yet. Create one, then choose its members.</${Empty}>`
      : html`<table class="stack teams">
        <thead><tr><th scope="col">Team</th><th scope="col">Members</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${teams.map((t) => html`<tr key=${t.id}>
          <th scope="row" data-label="Team" id=${`team-${t.id}`} tabindex="-1">${t.name}</th>
          <td data-label="Members">${count(t.members.length)}${t.members.length
            ? html` <span class="muted">· ${[...t.members].sort(byName).slice(0, SHOWN_NAMES).map(nameOf).join(', ')}${t.members.length > SHOWN_NAMES ? ', …' : ''}</span>`
            : null}</td>
          <td class="wide"><span class="controls">
            <button type="button" aria-expanded=${editing === t.id ? 'true' : 'false'} onClick=${() => setEditing(editing === t.id ? null : t.id)}>
              Edit members<span class="visually-hidden"> of ${t.name}</span></button>
            <button type="button" class="danger" onClick=${() => setDeleting(t)}>Delete<span class="visually-hidden"> team ${t.name}</span></button>
          </span></td></tr>`)}</tbody></table>`}
    ${edited
      ? html`<${EditMembers} key=${edited.id} org=${org} team=${edited} people=${people}
          onClose=${(saved) => {
            setEditing(null);
            if (saved != null) changed(`Saved: ${edited.name} has ${saved ? count(saved) : 'no'} member${saved === 1 ? '' : 's'}.`);
            requestAnimationFrame(() => document.getElementById(`team-${edited.id}`)?.focus());
          }} />`
      : null}
    ${deleting
      ? html`<${Confirm} title=${`Delete the team “${deleting.name}”?`} action="Delete team" danger focusAfter="#team-name"
          run=${() => gql(DELETE, { org: org.slug, team: deleting.id })}
          onClose=${(done) => { if (done) { if (editing === deleting.id) setEditing(null); changed(`Deleted team ${deleting.name}.`); } setDeleting(null); }}>
          <p>Its ${count(deleting.members.length)} members stay in ${org.name}, with their sessions and figures; only the team goes. This cannot be undone.</p>
        </${Confirm}>`
      : null}`;
}

/** The "Create team" form; the server says what is wrong with a name. */
function CreateTeam({ org, onCreated }) {
  const [state, setState] = useState({ busy: false, error: null });
  const submit = (e) => {
    e.preventDefault();
    if (state.busy) return;
    const form = e.target;
    const name = String(new FormData(form).get('name') ?? '').trim();
    setState({ busy: true, error: null });
    gql(CREATE, { org: org.slug, name }).then(
      (d) => { form.reset(); setState({ busy: false, error: null }); onCreated(d.createTeam); },
      (error) => setState({ busy: false, error }),
    );
  };
  return html`<form class="filters" aria-label="Create team" onSubmit=${submit}>
    <label>Team name <input id="team-name" name="name" autocomplete="off" placeholder="Platform" aria-invalid=${state.error ? 'true' : undefined}
      aria-describedby=${state.error ? 'team-error' : undefined} /></label>
    <button type="submit" class="primary" aria-disabled=${state.busy ? 'true' : undefined}>${state.busy ? 'Creating…' : 'Create team'}</button>
    ${state.error ? html`<p class="field-error" id="team-error" role="alert">${state.error.message}</p>` : null}
  </form>`;
}

/** A team's members as checkboxes over everyone it may hold, with a search box; Save sets them all at once. */
function EditMembers({ org, team, people, onClose }) {
  const panel = useRef(null);
  const [chosen, setChosen] = useState(() => new Set(team.members.map((m) => m.id)));
  const [find, setFind] = useState('');
  const [state, setState] = useState({ busy: false, error: null });
  useEffect(() => panel.current.focus(), []);
  const needle = find.trim().toLowerCase();
  const shown = needle ? people.filter((u) => [u.id, u.name, u.email].some((v) => v?.toLowerCase().includes(needle))) : people;
  const toggle = (id, on) => setChosen((c) => { const next = new Set(c); if (on) next.add(id); else next.delete(id); return next; });
  const save = () => {
    if (state.busy) return;
    setState({ busy: true, error: null });
    gql(SET_MEMBERS, { org: org.slug, team: team.id, ids: [...chosen] }).then(
      (d) => onClose(d.setTeamMembers.members.length),
      (error) => setState({ busy: false, error }),
    );
  };
  return html`<section class="panel team-editor" ref=${panel} tabindex="-1" aria-labelledby="team-editor">
    <h3 id="team-editor">Members of ${team.name}</h3>
    <label>Find people <input type="search" value=${find} placeholder="name, id or email" onInput=${(e) => setFind(e.target.value)} /></label>
    <fieldset>
      <legend>${count(chosen.size)} chosen of ${count(people.length)} people</legend>
      ${shown.length === 0
        ? html`<p class="muted">Nobody matches “${find}”.</p>`
        : html`<ul class="checks">${shown.map((u) => html`<li key=${u.id}><label>
            <input type="checkbox" checked=${chosen.has(u.id)} onChange=${(e) => toggle(u.id, e.target.checked)} />
            <span>${nameOf(u)} <span class="muted">${u.id}${u.email && u.email !== nameOf(u) ? ` · ${u.email}` : ''}</span></span></label></li>`)}</ul>`}
    </fieldset>
    <p class="hint">People are the org's members and everyone active in the last 90 days.</p>
    <div class="controls">
      <button type="button" class="primary" onClick=${save} aria-disabled=${state.busy ? 'true' : undefined}>${state.busy ? 'Saving…' : 'Save members'}</button>
      <button type="button" onClick=${() => state.busy || onClose(null)}>Cancel</button>
      ${state.error ? html`<span class="field-error" role="alert">${state.error.message}</span>` : null}
    </div>
  </section>`;
}

// Members of the org (everyone who signed in, or whose role was set here):
// change a role or disable a user, each after a confirmation; nobody
// changes themselves.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { orgOf, useQuery } from '../query.js';
import { Confirm } from '../confirm.js';
import { Empty, pending, StaleNote } from '../parts.js';
import { whenShort } from '../format.js';

const QUERY = `query($org: String!) { org(slug: $org) { members { id email name role roleSetBy disabled lastSeenAt } } }`;
const SET_ROLE = `mutation($org: String!, $id: String!, $role: Role!) { setUserRole(org: $org, userId: $id, role: $role) { id role roleSetBy } }`;
const SET_DISABLED = `mutation($org: String!, $id: String!, $disabled: Boolean!) { setUserDisabled(org: $org, userId: $id, disabled: $disabled) { id disabled } }`;

/** The roles an org grants, and what each may do. */
const ROLES = {
  MEMBER: 'sees the org overview and their own sessions',
  MANAGER: 'also sees every user of the org and their sessions',
  ORG_ADMIN: 'also manages keys, members and the org settings',
};

const nameOf = (m) => m.name ?? m.email ?? m.id;

export function Members({ org, viewer }) {
  const result = useQuery(QUERY, { org: org.slug }, (d) => orgOf(d, org.slug).members);
  const [drafts, setDrafts] = useState({});
  const [asking, setAsking] = useState(null);
  const heading = html`<h2>Members</h2>`;
  const waiting = pending(result, heading);
  if (waiting) return waiting;
  const members = [...result.data].sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  const tz = org.timezone;
  const draftOf = (m) => drafts[m.id] ?? m.role;
  // Done or cancelled, the select shows the role in force again.
  const close = (done) => {
    setDrafts((d) => ({ ...d, [asking.member.id]: undefined }));
    setAsking(null);
    if (done) result.reload();
  };
  return html`
    ${heading}
    <p class="hint">Everyone who signed in to ${org.name}, or whose role was set here. A role set here wins over the one in their token from their next request on.</p>
    <${StaleNote} error=${result.error} />
    ${members.length === 0
      ? html`<${Empty}>No member yet: users appear here once they sign in.</${Empty}>`
      : html`<table class="stack members">
        <thead><tr><th scope="col">User</th><th scope="col">Name and email</th><th scope="col">Role</th><th scope="col">Set by</th>
          <th scope="col">Access</th><th scope="col">Last seen</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${members.map((m) => {
          const self = m.id === viewer.userId;
          return html`<tr key=${m.id}>
            <th scope="row" data-label="User"><code>${m.id}</code>${self ? html` <span class="badge">you</span>` : null}</th>
            <td data-label="Name and email">${m.name ?? '—'}${m.email ? html`<br /><span class="muted">${m.email}</span>` : null}</td>
            <td data-label="Role" class="wide">${self
              ? m.role ?? '—'
              : html`<span class="controls"><select aria-label=${`Role of ${nameOf(m)}`} onChange=${(e) => setDrafts({ ...drafts, [m.id]: e.target.value })}>
                  ${m.role && !ROLES[m.role] ? html`<option value=${m.role} selected disabled>${m.role}</option>` : null}
                  ${Object.keys(ROLES).map((r) => html`<option value=${r} selected=${draftOf(m) === r}>${r}</option>`)}
                </select>
                <button type="button" disabled=${draftOf(m) === m.role} onClick=${() => setAsking({ member: m, role: draftOf(m) })}>
                  Change role<span class="visually-hidden"> of ${nameOf(m)}</span></button></span>`}</td>
            <td data-label="Set by">${m.roleSetBy ?? html`<span class="muted">their token</span>`}</td>
            <td data-label="Access">${m.disabled ? html`<span class="bad">Disabled</span>` : 'Active'}</td>
            <td data-label="Last seen">${whenShort(m.lastSeenAt, tz)}</td>
            <td class="wide">${self
              ? html`<span class="muted">You cannot change yourself; ask another admin.</span>`
              : html`<button type="button" class=${m.disabled ? undefined : 'danger'} onClick=${() => setAsking({ member: m, disabled: !m.disabled })}>
                  ${m.disabled ? 'Enable' : 'Disable'}<span class="visually-hidden"> ${nameOf(m)}</span></button>`}</td></tr>`;
        })}</tbody></table>`}
    ${asking ? html`<${Ask} org=${org} asking=${asking} onClose=${close} />` : null}`;
}

/** The confirmation of a role change or of disabling / enabling a member. */
function Ask({ org, asking, onClose }) {
  const { member, role, disabled } = asking;
  const who = nameOf(member);
  if (role) {
    return html`<${Confirm} title=${`Make ${who} ${role}?`} action="Change role" onClose=${onClose}
      run=${() => gql(SET_ROLE, { org: org.slug, id: member.id, role })}>
      <p>${who} is ${member.role ?? 'without a role'} now. As ${role}, they ${ROLES[role]}.</p>
      <p>It applies from their next request, whatever their token says.</p>
    </${Confirm}>`;
  }
  return disabled
    ? html`<${Confirm} title=${`Disable ${who}?`} action="Disable" danger onClose=${onClose}
        run=${() => gql(SET_DISABLED, { org: org.slug, id: member.id, disabled: true })}>
        <p>Their requests to ${org.name} are refused and their live views end, whatever their token says. You can enable them again.</p>
      </${Confirm}>`
    : html`<${Confirm} title=${`Enable ${who}?`} action="Enable" onClose=${onClose}
        run=${() => gql(SET_DISABLED, { org: org.slug, id: member.id, disabled: false })}>
        <p>They can use ${org.name} again, with the role shown here.</p>
      </${Confirm}>`;
}

// Members of the org (everyone who signed in, or whose role was set here):
// change a role or disable a user, each after a confirmation; nobody
// changes themselves. Anyone's data (members' from their row, others' by
// id) can be exported or erased; erasures are followed to their receipts.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { orgOf, useQuery } from '../query.js';
import { Confirm } from '../confirm.js';
import { Empty, pending, StaleNote } from '../parts.js';
import { byName, whenShort } from '../format.js';
import { AnyUser, EraseDialog, ExportButton, RECEIPT, Receipt, Receipts } from './admin-user-data.js';

const QUERY = `query($org: String!) { org(slug: $org) { members { id email name role roleSetBy disabled lastSeenAt }
  erasures { ${RECEIPT} } } }`;
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
  const result = useQuery(QUERY, { org: org.slug }, (d) => orgOf(d, org.slug));
  const [drafts, setDrafts] = useState({});
  const [asking, setAsking] = useState(null);
  // Erasures asked for on this page: their receipts stay on screen until closed.
  const [startedAnywhere, setStarted] = useState([]);
  const heading = html`<h2>Members</h2>`;
  const waiting = pending(result, heading);
  if (waiting) return waiting;
  const members = [...result.data.members].sort((a, b) => byName(nameOf(a), nameOf(b)));
  const receipts = result.data.erasures;
  const started = startedAnywhere.filter((s) => s.org === org.slug);
  const tz = org.timezone;
  // A member without a profile whose data was erased says so.
  const erasedAt = (id) => receipts.find((r) => r.userId === id && r.completedAt)?.completedAt;
  const profile = (m) => {
    if (m.name || m.email) return html`${m.name ?? '—'}${m.email ? html`<br /><span class="muted">${m.email}</span>` : null}`;
    return erasedAt(m.id) ? html`<span class="muted">Data erased ${whenShort(erasedAt(m.id), tz)}</span>` : '—';
  };
  // The receipts followed here: those asked for on this page, and any other still open.
  const followed = [
    ...started.map((s) => receipts.find((r) => r.id === s.id) ?? s),
    ...receipts.filter((r) => !r.completedAt && !started.some((s) => s.id === r.id)),
  ];
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
            <td data-label="Name and email">${profile(m)}</td>
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
              : html`<span class="controls"><button type="button" class=${m.disabled ? undefined : 'danger'} onClick=${() => setAsking({ member: m, disabled: !m.disabled })}>
                  ${m.disabled ? 'Enable' : 'Disable'}<span class="visually-hidden"> ${nameOf(m)}</span></button>
                  <${ExportButton} org=${org} userId=${m.id} who=${nameOf(m)} />
                  <button type="button" class="danger" onClick=${() => setAsking({ member: m, erase: true })}>
                    Erase data<span class="visually-hidden"> of ${nameOf(m)}</span></button></span>`}</td></tr>`;
        })}</tbody></table>`}
    <section aria-labelledby="user-data">
      <h2 id="user-data">Export or erase a user’s data</h2>
      <p class="hint">An export holds their profile and every event the org stores of them, as JSON lines. An erasure removes all of it for good and leaves a receipt.
        Members have both in their row; for anyone else, such as people whose sessions producers send but who never signed in, give their user id.</p>
      <${AnyUser} org=${org} onErase=${(id) => setAsking({ member: members.find((m) => m.id === id) ?? { id }, erase: true })} />
      ${followed.map((r) => {
        // Asked for again (its job had failed): the same receipt, followed anew.
        const mine = started.find((s) => s.id === r.id);
        return html`<${Receipt} key=${`${r.id}:${mine?.at ?? ''}`} org=${org} receipt=${r} onEnd=${result.reload} focus=${Boolean(mine)}
          onDismiss=${mine ? () => setStarted((list) => list.filter((s) => s.id !== r.id)) : null} />`;
      })}
      <h3>Erasure receipts</h3>
      <${Receipts} org=${org} receipts=${receipts} />
    </section>
    ${asking?.erase
      ? html`<${EraseDialog} org=${org} userId=${asking.member.id} who=${nameOf(asking.member)} onClose=${close}
          onStarted=${(receipt) => setStarted((list) => [{ ...receipt, org: org.slug, at: Date.now() }, ...list.filter((s) => s.id !== receipt.id)])} />`
      : asking ? html`<${Ask} org=${org} asking=${asking} onClose=${close} />` : null}`;
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

// Every org of the fleet (SUPER_ADMIN): create one, suspend or reactivate
// one after a confirmation.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { orgsChanged, useQuery } from '../query.js';
import { href } from '../router.js';
import { Confirm } from '../confirm.js';
import { pending, StaleNote, timeZones } from '../parts.js';

const QUERY = `{ orgs { slug name timezone status } }`;
const CREATE = `mutation($slug: String!, $name: String!, $timezone: String) { createOrg(slug: $slug, name: $name, timezone: $timezone) { slug name } }`;
const STATUS = `mutation($slug: String!, $status: OrgStatus!) { updateOrg(slug: $slug, status: $status) { slug status } }`;

export function FleetOrgs({ keep }) {
  const result = useQuery(QUERY, {}, (d) => d.orgs);
  const [asking, setAsking] = useState(null);
  const heading = html`<h2 id="orgs">Orgs</h2>`;
  const changed = () => { result.reload(); orgsChanged(); };
  const waiting = pending(result, heading, 4);
  return html`<section aria-labelledby="orgs">
    ${waiting ?? html`${heading}
      <${StaleNote} error=${result.error} />
      <${CreateOrg} onCreated=${changed} keep=${keep} />
      <table class="stack orgs">
        <thead><tr><th scope="col">Org</th><th scope="col">Slug</th><th scope="col">Time zone</th><th scope="col">Status</th>
          <th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${result.data.map((o) => html`<tr key=${o.slug}>
          <th scope="row" data-label="Org" class="wide"><a href=${href(['org', o.slug, 'overview'], keep)}>${o.name}</a></th>
          <td data-label="Slug"><code>${o.slug}</code></td>
          <td data-label="Time zone">${o.timezone}</td>
          <td data-label="Status">${o.status === 'SUSPENDED' ? html`<span class="bad">Suspended</span>` : 'Active'}</td>
          <td class="wide"><button type="button" class=${o.status === 'SUSPENDED' ? undefined : 'danger'} onClick=${() => setAsking(o)}>
            ${o.status === 'SUSPENDED' ? 'Reactivate' : 'Suspend'}<span class="visually-hidden"> ${o.name}</span></button></td></tr>`)}</tbody></table>`}
    ${asking ? html`<${Ask} org=${asking} onClose=${(done) => { setAsking(null); if (done) changed(); }} />` : null}
  </section>`;
}

function Ask({ org, onClose }) {
  const suspend = org.status !== 'SUSPENDED';
  const run = () => gql(STATUS, { slug: org.slug, status: suspend ? 'SUSPENDED' : 'ACTIVE' });
  return suspend
    ? html`<${Confirm} title=${`Suspend ${org.name}?`} action="Suspend org" danger run=${run} onClose=${onClose}>
        <p>Producers' events for <code>${org.slug}</code> are refused with ORG_SUSPENDED until it is reactivated. Its figures stay readable.</p>
      </${Confirm}>`
    : html`<${Confirm} title=${`Reactivate ${org.name}?`} action="Reactivate org" run=${run} onClose=${onClose}>
        <p>Producers can send events for <code>${org.slug}</code> again.</p>
      </${Confirm}>`;
}

/** The "Create org" form; the server says what is wrong with a slug or a name. */
function CreateOrg({ onCreated, keep }) {
  const [state, setState] = useState({ busy: false, error: null, created: null });
  const submit = (e) => {
    e.preventDefault();
    if (state.busy) return;
    const form = e.target;
    const data = new FormData(form);
    const variables = { slug: String(data.get('slug')).trim(), name: String(data.get('name')).trim(), timezone: String(data.get('timezone')) };
    setState({ busy: true, error: null, created: null });
    gql(CREATE, variables).then(
      (d) => { form.reset(); setState({ busy: false, error: null, created: d.createOrg }); onCreated(); },
      (error) => setState({ busy: false, error, created: null }),
    );
  };
  return html`<form class="filters" aria-label="Create org" onSubmit=${submit}>
    <label>Slug <input name="slug" autocomplete="off" placeholder="acme" aria-describedby=${state.error ? 'org-form-error' : undefined} /></label>
    <label>Name <input name="name" autocomplete="off" placeholder="Acme Inc." aria-describedby=${state.error ? 'org-form-error' : undefined} /></label>
    <label>Time zone <select name="timezone">${timeZones('UTC').map((z) => html`<option value=${z} selected=${z === 'UTC'}>${z}</option>`)}</select></label>
    <button type="submit" class="primary" aria-disabled=${state.busy ? 'true' : undefined}>${state.busy ? 'Creating…' : 'Create org'}</button>
    ${state.error ? html`<p class="field-error" id="org-form-error" role="alert">${state.error.message}</p>` : null}
    <p class="good" role="status">${state.created ? html`Created <a href=${href(['org', state.created.slug, 'overview'], keep)}>${state.created.name}</a>.` : null}</p>
  </form>`;
}

// Producer API keys of the org: the list, a form that creates one and shows
// its secret once, revocation after a confirmation.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { NewSecret } from '../new-secret.js';
import { gql } from '../api.js';
import { orgOf, useQuery } from '../query.js';
import { Confirm } from '../confirm.js';
import { Empty, pending, StaleNote } from '../parts.js';
import { whenShort } from '../format.js';

const QUERY = `query($org: String!) { org(slug: $org) { apiKeys { id name orgs prefix createdBy createdAt lastUsedAt revokedAt } } }`;
const CREATE = `mutation($org: String, $name: String!) { createApiKey(org: $org, name: $name) { apiKey { id name prefix } secret } }`;
const REVOKE = `mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`;

const orgsOf = (key) => (key.orgs.includes('*') ? 'every org' : key.orgs.join(', '));

export function Keys({ org }) {
  const result = useQuery(QUERY, { org: org.slug }, (d) => orgOf(d, org.slug).apiKeys);
  const [created, setCreated] = useState(null);
  const [revoking, setRevoking] = useState(null);
  const heading = html`<h2>API keys</h2>`;
  const waiting = pending(result, heading);
  if (waiting) return waiting;
  const keys = [...result.data].sort((a, b) => (a.revokedAt ? 1 : 0) - (b.revokedAt ? 1 : 0) || b.createdAt.localeCompare(a.createdAt));
  const tz = org.timezone;
  return html`
    ${heading}
    <p class="hint">Producers send a key as <code>Authorization: Bearer …</code> to send events for ${org.name}; a key can do nothing else.</p>
    <${StaleNote} error=${result.error} />
    ${created
      ? html`<${KeySecret} created=${created} onDone=${() => setCreated(null)} />`
      : html`<${CreateKey} org=${org} onCreated=${(c) => { setCreated(c); result.reload(); }} />`}
    ${keys.length === 0
      ? html`<${Empty}>No API key yet. Create one for each producer, so each can be revoked alone.</${Empty}>`
      : html`<table class="stack">
        <thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Orgs</th><th scope="col">Created</th>
          <th scope="col">Last used</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${keys.map((k) => html`<tr key=${k.id} class=${k.revokedAt ? 'revoked' : undefined}>
          <th scope="row" data-label="Name" class="wide" id=${`key-${k.id}`} tabindex="-1">${k.name}</th>
          <td data-label="Prefix"><code>${k.prefix}…</code></td>
          <td data-label="Orgs">${orgsOf(k)}</td>
          <td data-label="Created">${whenShort(k.createdAt, tz)} <span class="muted">by ${k.createdBy}</span></td>
          <td data-label="Last used">${k.lastUsedAt ? whenShort(k.lastUsedAt, tz) : 'never'}</td>
          <td data-label="Status">${k.revokedAt ? html`<span class="bad">Revoked ${whenShort(k.revokedAt, tz)}</span>` : 'Active'}</td>
          <td class="wide">${k.revokedAt ? null : html`<button type="button" class="danger" onClick=${() => setRevoking(k)}>
            Revoke<span class="visually-hidden"> key ${k.name}</span></button>`}</td></tr>`)}</tbody></table>`}
    ${revoking
      ? html`<${Confirm} title=${`Revoke the key “${revoking.name}”?`} action="Revoke key" danger focusAfter=${`[id="key-${revoking.id}"]`}
          run=${() => gql(REVOKE, { id: revoking.id })}
          onClose=${(done) => { setRevoking(null); if (done) result.reload(); }}>
          <p>Producers using it (<code>${revoking.prefix}…</code>) are refused from their next call, within seconds. This cannot be undone: give them a new key.</p>
        </${Confirm}>`
      : null}`;
}

/** The "Create key" form; the server says what is wrong with a name. */
function CreateKey({ org, onCreated }) {
  const [state, setState] = useState({ busy: false, error: null });
  const submit = (e) => {
    e.preventDefault();
    if (state.busy) return;
    const form = e.target;
    const name = String(new FormData(form).get('name') ?? '');
    setState({ busy: true, error: null });
    gql(CREATE, { org: org.slug, name }).then(
      (d) => { form.reset(); setState({ busy: false, error: null }); onCreated({ name: d.createApiKey.apiKey.name, secret: d.createApiKey.secret }); },
      (error) => setState({ busy: false, error }),
    );
  };
  return html`<form class="filters" aria-label="Create key" onSubmit=${submit}>
    <label>Key name <input name="name" autocomplete="off" placeholder="ci-producer" aria-invalid=${state.error ? 'true' : undefined}
      aria-describedby=${state.error ? 'key-error' : undefined} /></label>
    <button type="submit" class="primary" aria-disabled=${state.busy ? 'true' : undefined}>${state.busy ? 'Creating…' : 'Create key'}</button>
    ${state.error ? html`<p class="field-error" id="key-error" role="alert">${state.error.message}</p>` : null}
  </form>`;
}

/** The new key's secret, shown this once. */
function KeySecret({ created, onDone }) {
  return html`<${NewSecret} id="new-key" title=${`Key “${created.name}” created: copy its secret now`} label="Secret"
    secret=${created.secret} onDone=${onDone}>
    <p><strong>The secret will not be shown again.</strong> agentmon keeps only a hash of it; if it is lost, revoke the key and create another.</p>
  </${NewSecret}>`;
}

// The org's settings: name, time zone and retention (updateOrg); the server
// says what it refuses. Suspending an org is on the Fleet page (SUPER_ADMIN).
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { orgOf, orgsChanged, useQuery } from '../query.js';
import { href } from '../router.js';
import { pending, timeZones } from '../parts.js';

const QUERY = `query($org: String!) { org(slug: $org) { slug name timezone retentionDays status } }`;
const UPDATE = `mutation($slug: String!, $name: String, $timezone: String, $retentionDays: Int) {
  updateOrg(slug: $slug, name: $name, timezone: $timezone, retentionDays: $retentionDays) { slug name timezone retentionDays } }`;

export function Settings({ org, viewer }) {
  const result = useQuery(QUERY, { org: org.slug }, (d) => orgOf(d, org.slug));
  const [state, setState] = useState({ busy: false, error: null, saved: false });
  const heading = html`<h2>Settings</h2>`;
  const waiting = pending(result, heading, 4);
  if (waiting) return waiting;
  const now = result.data;
  const submit = (e) => {
    e.preventDefault();
    if (state.busy) return;
    const form = new FormData(e.target);
    const days = String(form.get('retentionDays')).trim();
    if (!/^\d+$/.test(days)) {
      setState({ busy: false, saved: false, error: { message: 'Retention is a whole number of days, from 1 to 3650.' } });
      return;
    }
    // Only what changed: a new time zone recounts every day of the org.
    const changed = (value, before) => (value === before ? null : value);
    const variables = {
      slug: org.slug,
      name: changed(String(form.get('name')).trim(), now.name),
      timezone: changed(String(form.get('timezone')), now.timezone),
      retentionDays: changed(Number(days), now.retentionDays),
    };
    if (variables.name == null && variables.timezone == null && variables.retentionDays == null) {
      setState({ busy: false, error: { message: 'Nothing to save: change a setting first.' }, saved: false });
      return;
    }
    setState({ busy: true, error: null, saved: false });
    gql(UPDATE, variables).then(
      () => { setState({ busy: false, error: null, saved: true }); result.reload(); orgsChanged(); },
      (error) => setState({ busy: false, error, saved: false }),
    );
  };
  // Uncontrolled fields, remounted (the key) with what the server saved.
  return html`
    ${heading}
    <form class="form-grid" aria-label="Org settings" key=${JSON.stringify(now)} onSubmit=${submit} noValidate
      onInput=${() => state.saved && setState({ ...state, saved: false })}>
      <label>Name <input name="name" defaultValue=${now.name} required autocomplete="off" /></label>
      <label>Time zone <select name="timezone" aria-describedby="tz-hint">
        ${timeZones(now.timezone).map((z) => html`<option value=${z} selected=${z === now.timezone}>${z}</option>`)}</select></label>
      <p class="hint" id="tz-hint">The org's days are counted in it; a change recounts every day of its figures.</p>
      <label>Retention (days) <input name="retentionDays" type="number" inputmode="numeric" min="1" max="3650" step="1" defaultValue=${now.retentionDays}
        aria-describedby="retention-hint" /></label>
      <p class="hint" id="retention-hint">From 1 to 3650. Events older than that are refused, and stored ones are removed within the hour.</p>
      <div class="controls">
        <button type="submit" class="primary" aria-disabled=${state.busy ? 'true' : undefined}>${state.busy ? 'Saving…' : 'Save settings'}</button>
        ${state.error ? html`<span class="field-error" role="alert">${state.error.message}</span>` : null}
      </div>
    </form>
    <p class="good" role="status">${state.saved ? 'Saved.' : ''}</p>
    <p class="muted">Status: ${now.status === 'SUSPENDED' ? 'suspended (producers’ events are refused)' : 'active'}.
      ${viewer.role === 'SUPER_ADMIN' ? html` Suspend or reactivate it on the <a href=${href(['global'])}>Fleet</a> page.` : ' A SUPER_ADMIN suspends or reactivates orgs.'}</p>`;
}

// The org's settings: name, time zone and retention (updateOrg); a retention
// out of range is refused beside its field, the server says what else it
// refuses. A new retention is applied by a background job. Suspending an org
// is on the Fleet page (SUPER_ADMIN). The breakdown keys and the model
// prices have their own forms.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { orgOf, orgsChanged, useQuery } from '../query.js';
import { href } from '../router.js';
import { pending, timeZones } from '../parts.js';
import { BreakdownKeys } from './admin-breakdown-keys.js';
import { ModelPrices } from './admin-prices.js';

const QUERY = `query($org: String!) { org(slug: $org) { slug name timezone retentionDays status } }`;
const MIN_DAYS = 1;
const MAX_DAYS = 3650;
const UPDATE = `mutation($slug: String!, $name: String, $timezone: String, $retentionDays: Int) {
  updateOrg(slug: $slug, name: $name, timezone: $timezone, retentionDays: $retentionDays) { slug name timezone retentionDays } }`;

export function Settings({ org, viewer }) {
  const result = useQuery(QUERY, { org: org.slug }, (d) => orgOf(d, org.slug));
  const [state, setState] = useState({ busy: false, error: null, saved: null, invalid: null });
  const heading = html`<h2>Settings</h2>`;
  const waiting = pending(result, heading, 4);
  if (waiting) return waiting;
  const now = result.data;
  const submit = (e) => {
    e.preventDefault();
    if (state.busy) return;
    const form = new FormData(e.target);
    const days = String(form.get('retentionDays')).trim();
    if (!/^\d+$/.test(days) || Number(days) < MIN_DAYS || Number(days) > MAX_DAYS) {
      setState({ busy: false, saved: null, error: null, invalid: `Retention must be a whole number of days from ${MIN_DAYS} to ${MAX_DAYS}; nothing was saved.` });
      e.target.elements.retentionDays.focus();
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
      setState({ busy: false, error: { message: 'Nothing to save: change a setting first.' }, saved: null, invalid: null });
      return;
    }
    setState({ busy: true, error: null, saved: null, invalid: null });
    gql(UPDATE, variables).then(
      () => { setState({ busy: false, error: null, saved: { ...variables, before: now.retentionDays }, invalid: null }); result.reload(); orgsChanged(); },
      (error) => setState({ busy: false, error, saved: null, invalid: null }),
    );
  };
  // Uncontrolled fields, remounted (the key) with what the server saved.
  return html`
    ${heading}
    <form class="form-grid" aria-label="Org settings" key=${JSON.stringify(now)} onSubmit=${submit} noValidate
      onInput=${() => (state.saved || state.invalid) && setState({ ...state, saved: null, invalid: null })}>
      <label>Name <input name="name" defaultValue=${now.name} required autocomplete="off" /></label>
      <label>Time zone <select name="timezone" aria-describedby="tz-hint">
        ${timeZones(now.timezone).map((z) => html`<option value=${z} selected=${z === now.timezone}>${z}</option>`)}</select></label>
      <p class="hint" id="tz-hint">The org's days are counted in it; a change recounts every day of its figures.</p>
      <label>Retention (days) <input name="retentionDays" type="number" inputmode="numeric" min=${MIN_DAYS} max=${MAX_DAYS} step="1" defaultValue=${now.retentionDays}
        aria-invalid=${state.invalid ? 'true' : undefined} aria-describedby=${state.invalid ? 'retention-error retention-hint' : 'retention-hint'} /></label>
      ${state.invalid ? html`<p class="field-error" id="retention-error" role="alert">${state.invalid}</p>` : null}
      <p class="hint" id="retention-hint">From ${MIN_DAYS} to ${MAX_DAYS} days. Events older than that are refused when sent; stored ones are removed by a background job.</p>
      <div class="controls">
        <button type="submit" class="primary" aria-disabled=${state.busy ? 'true' : undefined}>${state.busy ? 'Saving…' : 'Save settings'}</button>
        ${state.error ? html`<span class="field-error" role="alert">${state.error.message}</span>` : null}
      </div>
    </form>
    <p class="good form-note" role="status">${state.saved ? savedNote(state.saved, viewer) : ''}</p>
    <p class="muted">Status: ${now.status === 'SUSPENDED' ? 'suspended (producers’ events are refused)' : 'active'}.
      ${viewer.role === 'SUPER_ADMIN' ? html` Suspend or reactivate it on the <a href=${href(['global'])}>Fleet</a> page.` : ' A SUPER_ADMIN suspends or reactivates orgs.'}</p>
    <${BreakdownKeys} org=${org} />
    <${ModelPrices} org=${org} role=${viewer.role} />`;
}

/** What saving did: a new retention is applied by a background job. */
function savedNote({ retentionDays, before }, viewer) {
  if (retentionDays == null) return 'Saved.';
  const follow = viewer.role === 'SUPER_ADMIN' ? html` Follow it on the <a href=${href(['global', 'jobs'])}>Jobs</a> page.` : null;
  return retentionDays < before
    ? html`Saved. The org now keeps ${retentionDays} days of data: a background job is removing what is older, and the figures drop as it goes.${follow}`
    : html`Saved. The org now keeps ${retentionDays} days of data; data already removed does not come back. A background job removes what grows older than that.${follow}`;
}

// The org's breakdown keys (setBreakdownKeys): up to five session attribute
// keys the overview breaks its figures down by. Edited as a comma-separated
// list (keys seen in recent sessions can be added with a click), checked
// beside the field as it is typed; saving queues a job that breaks past data
// down again, followed here until it ends.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { orgOf, orgsChanged, useQuery } from '../query.js';
import { ProgressBar, useJob } from '../jobs.js';
import { pending } from '../parts.js';

const QUERY = `query($org: String!) { org(slug: $org) { breakdownKeys sessions(first: 50) { edges { node { attributes } } } } }`;
const SAVE = `mutation($org: String!, $keys: [String!]!) { setBreakdownKeys(org: $org, keys: $keys) { breakdownKeys } }`;
// The job a save queued is named in its audit entry.
const AUDIT = `query($org: String!) { org(slug: $org) { auditLog(first: 20) { edges { node { action detail } } } } }`;
const MAX_KEYS = 5;
const MAX_LENGTH = 128;

/** The keys of a comma-separated list, and what is wrong with it (null when nothing). */
export function parseKeys(text) {
  const keys = text.split(',').map((k) => k.trim());
  if (keys.length === 1 && !keys[0]) return { keys: [], problem: null };
  if (keys.some((k) => !k)) return { keys, problem: 'A key is empty: remove the extra comma.' };
  const long = keys.find((k) => k.length > MAX_LENGTH);
  if (long) return { keys, problem: `“${long.slice(0, 20)}…” is longer than ${MAX_LENGTH} characters.` };
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice) return { keys, problem: `“${twice}” is listed twice: list each key once.` };
  if (keys.length > MAX_KEYS) {
    return { keys, problem: `At most ${MAX_KEYS} keys: you listed ${keys.length}. Remove ${keys.length - MAX_KEYS}; every attribute stays a filter of the Sessions page.` };
  }
  return { keys, problem: null };
}

/** The attribute keys of recent sessions, most common first. */
function seenKeys(sessions) {
  const counts = new Map();
  for (const { node } of sessions.edges) for (const key of Object.keys(node.attributes ?? {})) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([key]) => key);
}

export function BreakdownKeys({ org }) {
  const result = useQuery(QUERY, { org: org.slug }, (d) => orgOf(d, org.slug));
  const [text, setText] = useState(null);
  const [state, setState] = useState({ busy: false, error: null, saved: null, shown: false });
  const heading = html`<h3 id="breakdown-keys">Breakdown keys</h3>`;
  const waiting = pending(result, heading, 2);
  if (waiting) return waiting;
  const now = result.data.breakdownKeys;
  const value = text ?? now.join(', ');
  const { keys, problem } = parseKeys(value);
  const show = state.shown || text != null ? problem : null;
  const edit = (next) => {
    setText(next);
    if (state.saved || state.error) setState({ busy: false, error: null, saved: null, shown: state.shown });
  };
  const add = (key) => edit([...parseKeys(value).keys.filter(Boolean), key].join(', '));
  const submit = (e) => {
    e.preventDefault();
    if (state.busy) return;
    if (problem) {
      setState({ ...state, shown: true });
      e.target.elements.keys.focus();
      return;
    }
    setState({ busy: true, error: null, saved: null, shown: false });
    gql(SAVE, { org: org.slug, keys }).then(
      (d) => {
        setText(d.setBreakdownKeys.breakdownKeys.join(', '));
        setState({ busy: false, error: null, saved: d.setBreakdownKeys.breakdownKeys, shown: false });
        result.reload();
        orgsChanged();
      },
      (error) => setState({ busy: false, error, saved: null, shown: false }),
    );
  };
  const unused = seenKeys(result.data.sessions).filter((k) => !keys.includes(k));
  return html`<section aria-labelledby="breakdown-keys">
    ${heading}
    <p class="hint">The overview breaks runs, success rate and cost down by model and by up to ${MAX_KEYS} session attribute keys.
      Now: ${now.length ? now.map((k, i) => html`${i ? ', ' : ''}<code>${k}</code>`) : 'none'}.</p>
    <form class="form-grid" aria-label="Breakdown keys" onSubmit=${submit} noValidate>
      <label>Keys, separated by commas <input name="keys" value=${value} autocomplete="off" placeholder="repo, branch"
        onInput=${(e) => edit(e.target.value)} aria-invalid=${show ? 'true' : undefined}
        aria-describedby=${show ? 'keys-error keys-hint' : 'keys-hint'} /></label>
      ${show ? html`<p class="field-error" id="keys-error" role="alert">${show}</p>` : null}
      <p class="hint" id="keys-hint">At most ${MAX_KEYS}, each once. Leave it empty for none.</p>
      ${unused.length
        ? html`<p class="controls">Seen in recent sessions: ${unused.map((k) => html`<button type="button" onClick=${() => add(k)}
            aria-label=${`Add the key ${k}`}>+ ${k}</button>`)}</p>`
        : null}
      <div class="controls">
        <button type="submit" class="primary" aria-disabled=${state.busy ? 'true' : undefined}>${state.busy ? 'Saving…' : 'Save breakdown keys'}</button>
        ${state.error ? html`<span class="field-error" role="alert">${state.error.message}</span>` : null}
      </div>
    </form>
    <div class="form-note" role="status">${state.saved ? html`<${Saved} org=${org} keys=${state.saved} />` : null}</div>
  </section>`;
}

/** What saving did: the keys, and the job breaking past data down again. */
function Saved({ org, keys }) {
  const audit = useQuery(AUDIT, { org: org.slug, keys }, (d) => orgOf(d, org.slug).auditLog.edges.map((e) => e.node));
  const entry = audit.data?.find((a) => a.action === 'BREAKDOWN_KEYS_SET' && JSON.stringify(a.detail?.keys) === JSON.stringify(keys));
  return html`<p class="good">Saved: ${keys.length ? `broken down by ${keys.join(', ')}` : 'no breakdown key'}.
    A background job is breaking past data down again: the overview shows the past figures by these keys once it has finished.</p>
    ${entry?.detail?.job ? html`<${Job} id=${entry.detail.job} />` : null}`;
}

function Job({ id }) {
  const { job } = useJob(id);
  if (!job) return null;
  if (job.status === 'SUCCEEDED') return html`<p class="good">The job has finished: past figures are broken down by the new keys.</p>`;
  if (job.status === 'FAILED') return html`<p class="field-error">The job failed${job.error ? `: ${job.error}` : ''}. Save the keys again to retry.</p>`;
  return html`<${ProgressBar} job=${job} label="Breaking past data down by the new keys" />`;
}

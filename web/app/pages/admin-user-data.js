// One person's data in the org (ORG_ADMIN, SUPER_ADMIN): export it as JSON
// lines, or erase it after typing their user id; an erasure answers with a
// receipt at once, whose job is followed here until it ends; past receipts.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { ApiError, download, gql } from '../api.js';
import { Confirm } from '../confirm.js';
import { Empty } from '../parts.js';
import { count, whenShort } from '../format.js';
import { percentDone, ProgressBar, useJob } from '../jobs.js';

/** What Org.erasures and eraseUser answer. */
export const RECEIPT = 'id userId requestedBy requestedAt completedAt events sessions runs jobId';
const ERASE = `mutation($org: String!, $id: String!) { eraseUser(org: $org, userId: $id) { ${RECEIPT} } }`;

/** The file name: the org, then the id's letters, digits, `-` and `_` (as the server names it). */
const fileName = (slug, id) => `${slug}-${id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64)}.jsonl`;

/** "Export data": the user's profile and every stored event, saved as a file. */
export function ExportButton({ org, userId, who = userId }) {
  const [state, setState] = useState({ busy: false, error: null, done: false });
  const run = () => {
    if (state.busy) return;
    setState({ busy: true, error: null, done: false });
    const path = `/export/user.jsonl?${new URLSearchParams({ org: org.slug, userId })}`;
    download(path, fileName(org.slug, userId)).then(
      () => setState({ busy: false, error: null, done: true }),
      (error) => setState({ busy: false, error, done: false }),
    );
  };
  return html`<button type="button" onClick=${run} aria-disabled=${state.busy ? 'true' : undefined}>
      ${state.busy ? 'Exporting…' : 'Export data'}<span class="visually-hidden"> of ${who}</span></button>
    ${state.error ? html`<span class="field-error" role="alert">${state.error.message}</span>` : null}
    <span class="visually-hidden" role="status">${state.done ? `The data of ${who} is downloaded.` : ''}</span>`;
}

/** The erasure's confirmation: the viewer types the user id; `onStarted(receipt)` once asked. */
export function EraseDialog({ org, userId, who = userId, onStarted, onClose }) {
  const typed = useRef(null);
  const run = async () => {
    if (typed.current.value.trim() !== userId) {
      typed.current.focus();
      throw new ApiError(`Type the user id exactly as shown, ${userId}, to erase their data.`, 'BAD_USER_INPUT');
    }
    onStarted((await gql(ERASE, { org: org.slug, id: userId })).eraseUser);
  };
  return html`<${Confirm} title=${`Erase the data of ${who}?`} action="Erase data" danger focusFirst="input" run=${run} onClose=${onClose}>
    <p>Every event, session and run of <code>${userId}</code> in ${org.name} is removed, with their profile and their share of every
      figure. <strong>This cannot be undone.</strong> Their role and access stay as they are.</p>
    <p>If they asked for a copy, export their data first.</p>
    <label class="confirm-field"><span>Type <code>${userId}</code> to confirm</span>
      <input ref=${typed} autocomplete="off" spellcheck=${false} /></label>
  </${Confirm}>`;
}

/** Export or erase anyone's data by user id: people whose sessions producers send need not be members. */
export function AnyUser({ org, onErase }) {
  const [id, setId] = useState('');
  const [missing, setMissing] = useState(false);
  const userId = id.trim();
  const need = () => setMissing(true);
  return html`<form class="filters" aria-label="Data of any user" onSubmit=${(e) => { e.preventDefault(); if (userId) onErase(userId); else need(); }}>
    <label>User id <input name="userId" autocomplete="off" spellcheck=${false} placeholder="user-007" value=${id}
      aria-invalid=${missing ? 'true' : undefined} aria-describedby=${missing ? 'any-user-error' : undefined}
      onInput=${(e) => { setId(e.target.value); setMissing(false); }} /></label>
    <span class="controls">
      ${userId ? html`<${ExportButton} org=${org} userId=${userId} key=${userId} />` : html`<button type="button" onClick=${need}>Export data</button>`}
      <button type="submit" class="danger">Erase data…</button>
    </span>
    ${missing ? html`<p class="field-error" id="any-user-error" role="alert">Type a user id first.</p>` : null}
  </form>`;
}

/**
 * One erasure: who asked and when, its job's progress (asked for every
 * second until it ends, then `onEnd()`), then what it removed.
 */
export function Receipt({ org, receipt, onEnd, onDismiss, focus }) {
  const panel = useRef(null);
  const { job, error } = useJob(receipt.jobId, onEnd);
  useEffect(() => {
    if (focus) panel.current.focus();
  }, []);
  const tz = org.timezone;
  const done = receipt.completedAt != null;
  const failed = job?.status === 'FAILED';
  const title = `erasure-${receipt.id}`;
  const figure = (n) => (done ? count(n) : '—');
  let now;
  if (done) now = html`<span class="good">Completed.</span> Removed ${count(receipt.events)} events, ${count(receipt.sessions)} sessions and ${count(receipt.runs)} runs.`;
  else if (failed) now = html`<span class="bad">The job failed: ${(job.error ?? 'no reason given').replace(/\.$/, '')}.</span> Erase their data again to retry; this receipt is kept.`;
  else if (job === null) now = 'Its job cannot be followed from here; the receipt is completed when the job ends.';
  else if (job === undefined) now = error ? `Cannot follow the job: ${error.message}` : 'Asking for its job…';
  else if (job.status === 'SUCCEEDED') now = 'The job succeeded; reading the receipt…';
  else now = job.status === 'QUEUED' ? 'Queued: waiting for a worker.' : `Running: ${percentDone(job)} % done.`;
  return html`<section class="panel receipt" ref=${panel} tabindex="-1" aria-labelledby=${title}>
    <h3 id=${title}>Erasure of <code>${receipt.userId}</code></h3>
    <dl class="receipt-list">
      <dt>Requested by</dt><dd>${receipt.requestedBy}</dd>
      <dt>Requested at</dt><dd><time datetime=${receipt.requestedAt}>${whenShort(receipt.requestedAt, tz, { seconds: true })}</time></dd>
      <dt>Completed at</dt><dd>${done ? html`<time datetime=${receipt.completedAt}>${whenShort(receipt.completedAt, tz, { seconds: true })}</time>` : 'not yet'}</dd>
      <dt>Events removed</dt><dd>${figure(receipt.events)}</dd>
      <dt>Sessions removed</dt><dd>${figure(receipt.sessions)}</dd>
      <dt>Runs removed</dt><dd>${figure(receipt.runs)}</dd>
    </dl>
    ${job && !done ? html`<${ProgressBar} job=${job} label=${`Erasure of ${receipt.userId}`} />` : null}
    <p role="status" aria-live="polite">${now}</p>
    ${onDismiss && (done || failed) ? html`<button type="button" onClick=${onDismiss}>Close<span class="visually-hidden"> the receipt of ${receipt.userId}</span></button>` : null}
  </section>`;
}

/** Every erasure receipt of the org, newest first. */
export function Receipts({ org, receipts }) {
  const tz = org.timezone;
  if (receipts.length === 0) return html`<${Empty}>No erasure yet.</${Empty}>`;
  return html`<table class="stack erasures">
    <thead><tr><th scope="col">User</th><th scope="col">Requested</th><th scope="col">Completed</th>
      <th scope="col">Events</th><th scope="col">Sessions</th><th scope="col">Runs</th></tr></thead>
    <tbody>${receipts.map((r) => {
      const done = r.completedAt != null;
      return html`<tr key=${r.id}>
        <th scope="row" data-label="User" class="wide"><code>${r.userId}</code></th>
        <td data-label="Requested"><time datetime=${r.requestedAt}>${whenShort(r.requestedAt, tz)}</time> <span class="muted">by ${r.requestedBy}</span></td>
        <td data-label="Completed">${done ? html`<time datetime=${r.completedAt}>${whenShort(r.completedAt, tz)}</time>` : html`<span class="muted">not yet</span>`}</td>
        <td data-label="Events" class="number">${done ? count(r.events) : '—'}</td>
        <td data-label="Sessions" class="number">${done ? count(r.sessions) : '—'}</td>
        <td data-label="Runs" class="number">${done ? count(r.runs) : '—'}</td></tr>`;
    })}</tbody></table>`;
}

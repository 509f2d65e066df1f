// One session, headed by its repo (and branch) with its id: header
// figures, attributes, the timeline (handoffs and run outcomes marked), the
// runs with a failed run's error in plain sight and tokens on expand;
// updates live.
import { html } from '../html.js';
import { orgOf, useLiveReload, useQuery } from '../query.js';
import { href, rangeParams } from '../router.js';
import { Card, Empty, pending, StaleNote } from '../parts.js';
import { count, duration, money, tokens, when } from '../format.js';
import { SESSION_DEFINITIONS as ABOUT } from '../definitions.js';
import { repoOf } from '../session-label.js';

const QUERY = `query($org: String!, $id: String!) { org(slug: $org) { session(id: $id) {
  id user { id name email } startedAt lastEventAt messageCount runCount succeededRuns failedRuns costUsd
  inputTokens outputTokens activeTimeMs handedOff iteratedAfterHandoff attributes
  runs { id status model startedAt finishedAt durationMs errorCategory errorMessage costUsd inputTokens outputTokens }
  timeline { eventId type occurredAt runId summary } } } }`;
const LIVE = `subscription($org: String!, $id: String) { sessionUpdated(org: $org, sessionId: $id) { session { id } } }`;

/** A run's outcome as a word with its colour; RUNNING until it finishes. */
const Status = ({ status }) =>
  html`<span class=${`status ${(status ?? 'RUNNING').toLowerCase()}`}>${(status ?? 'RUNNING').toLowerCase()}</span>`;

/** An attribute that reads as a name: a non-empty string, else null. */
const text = (value) => (typeof value === 'string' && value.trim() ? value : null);

/** A run's id without its session's id before it ("run-2"), when it starts with it. */
const runName = (run, session) => (run.startsWith(`${session}-`) ? run.slice(session.length + 1) : run);

/** A failed run's error: its category (OTHER when it gave none) and message; nothing for other runs. */
const RunError = ({ run }) => (run.status === 'FAILED' || run.errorCategory || run.errorMessage
  ? html`<span class="category">${run.errorCategory ?? 'OTHER'}</span>${run.errorMessage ? `: ${run.errorMessage}` : ''}`
  : null);

export function SessionDetail({ org, id, route }) {
  const result = useQuery(QUERY, { org: org.slug, id }, (d) => orgOf(d, org.slug).session);
  useLiveReload(LIVE, { org: org.slug, id }, result.reload);
  const waiting = pending(result);
  if (waiting) return waiting;
  if (result.data === null) {
    return html`<h1>No such session</h1><p>There is no session ${id} in ${org.name}. <a href=${href(['org', org.slug, 'sessions'], rangeParams(route.params))}>Back to the sessions</a>.</p>`;
  }
  const session = result.data;
  const s = session;
  const statusOf = Object.fromEntries(s.runs.map((r) => [r.id, r.status]));
  const attributes = Object.entries(s.attributes ?? {});
  const repo = repoOf(s);
  const branch = repo ? text(s.attributes?.branch) : null;
  return html`
    <h1>${repo ? html`${repo}${branch ? html` <span class="muted">${branch}</span>` : null} ` : null}<span class=${repo ? 'sid' : undefined}>Session ${s.id}</span> <small>by <a
      href=${href(['org', org.slug, 'users', s.user.id], rangeParams(route.params))}>${s.user.name ?? s.user.id}</a></small></h1>
    <${StaleNote} error=${result.error} />
    <section class="cards" aria-label="Session figures">
      <${Card} label="Started" definition=${ABOUT.Started} value=${when(s.startedAt, org.timezone)} small />
      <${Card} label="Last event" definition=${ABOUT['Last event']} value=${when(s.lastEventAt, org.timezone)} small />
      <${Card} label="Messages" definition=${ABOUT.Messages} value=${count(s.messageCount)} />
      <${Card} label="Runs" definition=${ABOUT.Runs} value=${`${count(s.runCount)} (${count(s.failedRuns)} failed)`} />
      <${Card} label="Cost" definition=${ABOUT.Cost} value=${money(s.costUsd)} />
      <${Card} label="Tokens" definition=${ABOUT.Tokens} value=${`${tokens(s.inputTokens)} in / ${tokens(s.outputTokens)} out`} small />
      <${Card} label="Active time" definition=${ABOUT['Active time']} value=${duration(s.activeTimeMs)} />
      <${Card} label="Handoff" definition=${ABOUT.Handoff} value=${s.handedOff ? (s.iteratedAfterHandoff ? 'local, iterated' : 'local') : 'none'} />
    </section>
    ${attributes.length
      ? html`<section aria-labelledby="attributes"><h2 id="attributes">Attributes</h2>
        <dl class="attributes-list">${attributes.map(([k, v]) => html`<dt>${k}</dt><dd>${typeof v === 'string' ? v : JSON.stringify(v)}</dd>`)}</dl></section>`
      : null}
    <section aria-labelledby="timeline"><h2 id="timeline">Timeline</h2>
      <ol class="timeline">${s.timeline.map((e) => html`<li key=${e.eventId} class=${e.type.toLowerCase()}>
        <time datetime=${e.occurredAt}>${when(e.occurredAt, org.timezone)}</time> ${e.summary}
        ${e.type === 'SESSION_HANDOFF' ? html`<span class="badge">handoff</span>` : null}
        ${e.type === 'RUN_FINISHED' ? html` <${Status} status=${statusOf[e.runId]} />` : null}</li>`)}</ol>
    </section>
    <section aria-label="Runs"><h2>Runs</h2>
      ${s.runs.length === 0 ? html`<${Empty}>No run yet in this session.</${Empty}>` : html`<div class="scroll"><table class="stack runs">
        <thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Model</th><th scope="col">Started</th><th scope="col" class="num">Duration</th>
          <th scope="col" class="num">Cost</th><th scope="col">Error</th></tr></thead>
        <tbody>${s.runs.map((r) => html`<tr key=${r.id}><td data-label="Run" class="wide"><details><summary title=${r.id}>${runName(r.id, s.id)}</summary>
          <p>${count(r.inputTokens)} input / ${count(r.outputTokens)} output tokens${r.finishedAt ? `, finished ${when(r.finishedAt, org.timezone)}` : ''}</p></details></td>
          <td data-label="Status"><${Status} status=${r.status} /></td><td data-label="Model">${r.model ?? '—'}</td><td data-label="Started">${when(r.startedAt, org.timezone)}</td>
          <td data-label="Duration" class="num">${duration(r.durationMs)}</td><td data-label="Cost" class="num">${money(r.costUsd)}</td>
          <td data-label="Error" class="wide run-error"><${RunError} run=${r} /></td></tr>`)}</tbody></table></div>`}
    </section>`;
}

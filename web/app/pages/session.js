// One session: header figures, attributes, the timeline (handoffs and run
// outcomes marked), the runs with details on expand; updates live.
import { html } from '../html.js';
import { orgOf, useLiveReload, useQuery } from '../query.js';
import { href, rangeParams } from '../router.js';
import { Card, Empty, pending, StaleNote } from '../parts.js';
import { count, duration, money, tokens, when } from '../format.js';
import { SESSION_DEFINITIONS as ABOUT } from '../definitions.js';

const QUERY = `query($org: String!, $id: String!) { org(slug: $org) { session(id: $id) {
  id user { id name email } startedAt lastEventAt messageCount runCount succeededRuns failedRuns costUsd
  inputTokens outputTokens activeTimeMs handedOff iteratedAfterHandoff attributes
  runs { id status model startedAt finishedAt durationMs errorCategory errorMessage costUsd inputTokens outputTokens }
  timeline { eventId type occurredAt runId summary } } } }`;
const LIVE = `subscription($org: String!, $id: String) { sessionUpdated(org: $org, sessionId: $id) { session { id } } }`;

/** A run's outcome as a word with its colour; RUNNING until it finishes. */
const Status = ({ status }) =>
  html`<span class=${`status ${(status ?? 'RUNNING').toLowerCase()}`}>${(status ?? 'RUNNING').toLowerCase()}</span>`;

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
  return html`
    <h1>Session ${s.id} <small><a href=${href(['org', org.slug, 'users', s.user.id], rangeParams(route.params))}>${s.user.name ?? s.user.id}</a></small></h1>
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
      ${s.runs.length === 0 ? html`<${Empty}>No run yet in this session.</${Empty}>` : html`<div class="scroll"><table><thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Model</th><th scope="col">Started</th><th scope="col" class="num">Duration</th><th scope="col" class="num">Cost</th></tr></thead>
        <tbody>${s.runs.map((r) => html`<tr key=${r.id}><td><details><summary>${r.id}</summary>
          ${r.errorMessage || r.errorCategory ? html`<p>${r.errorCategory ?? 'OTHER'}${r.errorMessage ? `: ${r.errorMessage}` : ''}</p>` : null}
          <p>${count(r.inputTokens)} input / ${count(r.outputTokens)} output tokens${r.finishedAt ? `, finished ${when(r.finishedAt, org.timezone)}` : ''}</p></details></td>
          <td><${Status} status=${r.status} /></td><td>${r.model ?? '—'}</td><td>${when(r.startedAt, org.timezone)}</td><td class="num">${duration(r.durationMs)}</td><td class="num">${money(r.costUsd)}</td></tr>`)}</tbody></table></div>`}
    </section>`;
}

// One session, headed by its repo (and branch) with its id: header
// figures, attributes, the runs with a failed run's error in plain sight
// and tokens and calls on expand, then the timeline a page at a time
// (session-timeline.js); updates live.
import { html } from '../html.js';
import { orgOf, useLiveReload, useQuery } from '../query.js';
import { href, rangeParams } from '../router.js';
import { Card, Empty, pending, StaleNote } from '../parts.js';
import { count, duration, money, tokens, when } from '../format.js';
import { SESSION_DEFINITIONS as ABOUT } from '../definitions.js';
import { repoOf } from '../session-label.js';
import { EVENTS, Failure, Status, Timeline } from './session-timeline.js';

const QUERY = `query($org: String!, $id: String!, $after: String) { org(slug: $org) { session(id: $id) {
  id user { id name email } startedAt lastEventAt messageCount runCount succeededRuns failedRuns costUsd
  inputTokens outputTokens activeTimeMs handedOff iteratedAfterHandoff attributes modelCalls toolCalls
  runs { id status model startedAt finishedAt durationMs errorCategory errorMessage costUsd costSource inputTokens outputTokens
    cacheReadTokens cacheCreationTokens modelCalls toolCalls }
  ${EVENTS} } } }`;
const LIVE = `subscription($org: String!, $id: String) { sessionUpdated(org: $org, sessionId: $id) { session { id } } }`;

/** An attribute that reads as a name: a non-empty string, else null. */
const text = (value) => (typeof value === 'string' && value.trim() ? value : null);

/** A run's id without its session's id before it ("run-2"), when it starts with it. */
const runName = (run, session) => (run.startsWith(`${session}-`) ? run.slice(session.length + 1) : run);

/** A failed run's error: its category (OTHER when it gave none) and message; nothing for other runs. */
const RunError = ({ run }) => (run.status === 'FAILED' || run.errorCategory || run.errorMessage
  ? html`<${Failure} category=${run.errorCategory ?? 'OTHER'} message=${run.errorMessage} />`
  : null);

/** Where a run's cost comes from, when agentmon priced some of it or could not. */
const SOURCES = {
  ESTIMATED: ['estimated', 'Priced by agentmon from the model prices, in part or whole.'],
  UNPRICED: ['partly unpriced', 'Some of its model calls could not be priced; they count as $0.'],
};

/** A run's usage in words: tokens by kind and its calls, when it has any. */
function usage(r) {
  const parts = [`${count(r.inputTokens)} input / ${count(r.outputTokens)} output tokens`];
  if (r.cacheReadTokens || r.cacheCreationTokens) parts.push(`${count(r.cacheReadTokens)} cache read / ${count(r.cacheCreationTokens)} cache written`);
  if (r.modelCalls || r.toolCalls) parts.push(`${count(r.modelCalls)} model ${r.modelCalls === 1 ? 'call' : 'calls'}, ${count(r.toolCalls)} tool ${r.toolCalls === 1 ? 'call' : 'calls'}`);
  return parts.join('; ');
}

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
    <section aria-label="Runs"><h2>Runs</h2>
      ${s.runs.length === 0 ? html`<${Empty}>No run yet in this session.</${Empty}>` : html`<div class="scroll"><table class="stack runs">
        <thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Model</th><th scope="col">Started</th><th scope="col" class="num">Duration</th>
          <th scope="col" class="num">Cost</th><th scope="col">Error</th></tr></thead>
        <tbody>${s.runs.map((r) => html`<tr key=${r.id}><td data-label="Run" class="wide"><details><summary title=${r.id}>${runName(r.id, s.id)}</summary>
          <p>${usage(r)}${r.finishedAt ? `; finished ${when(r.finishedAt, org.timezone)}` : ''}</p></details></td>
          <td data-label="Status"><${Status} status=${r.status} /></td><td data-label="Model">${r.model ?? '—'}</td><td data-label="Started">${when(r.startedAt, org.timezone)}</td>
          <td data-label="Duration" class="num">${duration(r.durationMs)}</td><td data-label="Cost" class="num">${money(r.costUsd)}${SOURCES[r.costSource]
            ? html` <span class="muted cost-source" title=${SOURCES[r.costSource][1]}>${SOURCES[r.costSource][0]}</span>` : null}</td>
          <td data-label="Error" class="wide run-error"><${RunError} run=${r} /></td></tr>`)}</tbody></table></div>`}
    </section>
    <${Timeline} key=${s.id} org=${org} id=${s.id} first=${s.events} statusOf=${statusOf} totals=${s} />`;
}

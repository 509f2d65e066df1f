// One session: header figures, the timeline, the runs; updates live.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql, subscribe } from '../api.js';
import { ErrorBox, Skeleton, Card } from '../parts.js';
import { count, duration, money, when } from '../format.js';

const QUERY = `query($org: String!, $id: String!) { org(slug: $org) { session(id: $id) {
  id user { id name email } startedAt lastEventAt messageCount runCount succeededRuns failedRuns costUsd
  inputTokens outputTokens activeTimeMs handedOff iteratedAfterHandoff attributes
  runs { id status model startedAt finishedAt durationMs errorCategory errorMessage costUsd inputTokens outputTokens }
  timeline { eventId type occurredAt runId summary } } } }`;
const LIVE = `subscription($org: String!, $id: String) { sessionUpdated(org: $org, sessionId: $id) { session { id } } }`;

export function SessionDetail({ org, id }) {
  const [session, setSession] = useState(undefined);
  const [error, setError] = useState(null);
  const load = () => gql(QUERY, { org: org.slug, id }).then((d) => setSession(d.org.session), setError);
  useEffect(() => { load(); }, [org.slug, id]);
  useEffect(() => subscribe(LIVE, { org: org.slug, id }, load), [org.slug, id]);

  if (error) return html`<${ErrorBox} error=${error} />`;
  if (session === undefined) return html`<${Skeleton} lines=${6} />`;
  if (session === null) return html`<p>No session ${id} in ${org.name}.</p>`;
  const s = session;
  return html`
    <h1>Session ${s.id} <small>${s.user.name ?? s.user.id}</small></h1>
    <section class="cards" aria-label="Session figures">
      <${Card} label="Started" value=${when(s.startedAt, org.timezone)} />
      <${Card} label="Messages" value=${count(s.messageCount)} />
      <${Card} label="Runs" value=${`${count(s.runCount)} (${count(s.failedRuns)} failed)`} />
      <${Card} label="Cost" value=${money(s.costUsd)} />
      <${Card} label="Active time" value=${duration(s.activeTimeMs)} />
      <${Card} label="Handoff" value=${s.handedOff ? (s.iteratedAfterHandoff ? 'local, iterated' : 'local') : 'none'} />
    </section>
    <section aria-label="Timeline"><h2>Timeline</h2>
      <ol class="timeline">${s.timeline.map((e) => html`<li class=${e.type.toLowerCase()}>
        <time datetime=${e.occurredAt}>${when(e.occurredAt, org.timezone)}</time> ${e.summary}</li>`)}</ol>
    </section>
    <section aria-label="Runs"><h2>Runs</h2>
      <table><thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Model</th><th scope="col">Duration</th><th scope="col">Cost</th></tr></thead>
        <tbody>${s.runs.map((r) => html`<tr><td><details><summary>${r.id}</summary>
          ${r.errorMessage ? html`<p>${r.errorCategory}: ${r.errorMessage}</p>` : null}
          <p>${count(r.inputTokens)} in / ${count(r.outputTokens)} out tokens</p></details></td>
          <td>${r.status}</td><td>${r.model ?? '—'}</td><td>${duration(r.durationMs)}</td><td>${money(r.costUsd)}</td></tr>`)}</tbody></table>
    </section>`;
}

// A session's timeline, oldest first, a page of 200 events at a time: the
// first page comes with the session, "Load more events" brings the next,
// and while the last page is shown new events join at the end (live). A
// model call reads as its model, tokens by kind, duration and reported
// cost; a tool call as its tool, permission decision, result and duration;
// a failure with its error. Other events keep the server's summary.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { orgOf } from '../query.js';
import { breakable, ErrorBox } from '../parts.js';
import { count, duration, money, whenShort } from '../format.js';

/** Events a page: the most Session.events gives. */
export const PAGE = 200;

/** Session.events: the page after `$after` (null: the first). */
export const EVENTS = `events(first: ${PAGE}, after: $after) { pageInfo { hasNextPage endCursor }
  edges { node { eventId type occurredAt runId summary data } } }`;

const MORE = `query($org: String!, $id: String!, $after: String) { org(slug: $org) { session(id: $id) { id ${EVENTS} } } }`;

const KINDS = {
  SESSION_STARTED: 'Session started', MESSAGE_SENT: 'Message', RUN_STARTED: 'Run started', RUN_FINISHED: 'Run finished',
  SESSION_HANDOFF: 'Handoff', SESSION_ENDED: 'Session ended', MODEL_CALL: 'Model call', TOOL_CALL: 'Tool call', CODE_CHANGE: 'Code change',
};

/** The token figures a model call reports, by kind, in this order. */
const TOKENS = [['inputTokens', 'in'], ['outputTokens', 'out'], ['cacheReadTokens', 'cache read'], ['cacheCreationTokens', 'cache written']];

/** A run's outcome as a word with its colour; RUNNING until it finishes. */
export const Status = ({ status }) =>
  html`<span class=${`status ${(status ?? 'RUNNING').toLowerCase()}`}>${(status ?? 'RUNNING').toLowerCase()}</span>`;

/** An error: its category, when given, then its message. */
export const Failure = ({ category, message }) => html`<span class="failure">${category ? html`<span class="category">${category}</span>${message ? ': ' : ''}` : null}${message ?? ''}</span>`;

/** Figures, each ended by a separator but the last (read as a comma), a line break allowed between them; `kind`: a class for them. */
const Figures = ({ items, kind = '' }) => html`<span class=${`figures ${kind}`.trim()}>${items.flatMap((item, i) => [i ? ' ' : null, html`<span class="figure">${item}</span>`])}</span>`;

/** A model call: `{ details, failed }`, its tokens by kind, then its error; an attempt the agent retried is said to be one. */
function modelCall(c) {
  const figures = TOKENS.filter(([key]) => c[key] != null).map(([key, kind]) => html`<strong>${count(c[key])}</strong> ${kind}`);
  const error = c.error || c.errorCategory;
  const failure = c.attempt
    ? html`<span class="muted">an attempt the agent retried${c.error ? `: ${c.error}` : ''}</span>`
    : error ? html`<span class="bad">failed, <${Failure} category=${c.errorCategory} message=${c.error} /></span>` : null;
  return {
    details: html`${figures.length ? html`<span class="muted">Tokens</span>\u00a0<${Figures} items=${figures} kind="tokens" />` : html`<span class="muted">No token figures</span>`}
      ${failure ? html`<span class="outcome">${failure}</span>` : null}`,
    failed: Boolean(error && !c.attempt),
  };
}

/** A tool call: `{ details, failed }`, its permission decision (when one was made) and what came of it. */
function toolCall(t) {
  const decision = { ACCEPTED: 'accepted', REJECTED: 'rejected' }[t.decision];
  const result = t.success === true ? 'succeeded'
    : t.success === false ? html`<span class="bad">failed${t.error ? html`, <${Failure} message=${t.error} />` : null}</span>`
      : 'not run';
  const items = [decision ? html`<span class=${`decision ${decision}`}>${decision}</span>` : null, result].filter(Boolean);
  return { details: html`<${Figures} items=${items} />`, failed: t.success === false };
}

/** One event as a row: when, what (a call's model or tool), its details, duration and cost. */
function Row({ event: e, timeZone, status }) {
  const call = e.type === 'MODEL_CALL' ? e.data?.modelCall : e.type === 'TOOL_CALL' ? e.data?.tool : null;
  const name = call?.model ?? call?.name;
  const kind = KINDS[e.type] ?? e.type;
  const shown = !call ? null : e.type === 'MODEL_CALL' ? modelCall(call) : toolCall(call);
  return html`<tr class=${[e.type.toLowerCase(), shown?.failed ? 'failed' : ''].join(' ').trim()}>
    <td class="at"><time datetime=${e.occurredAt}>${whenShort(e.occurredAt, timeZone, { seconds: true })}</time></td>
    <th scope="row" class="event">${kind}${name ? html` <span class="name">${breakable(name)}</span>` : null}
      ${e.type === 'SESSION_HANDOFF' ? html`<span class="badge">handoff</span>` : null}</th>
    <td class="details">${shown ? shown.details : e.summary === kind ? null : e.summary}${e.type === 'RUN_FINISHED' ? html` <${Status} status=${status} />` : null}</td>
    <td class="num took">${call?.durationMs != null ? duration(call.durationMs) : null}</td>
    <td class="num cost">${e.type === 'MODEL_CALL' && call ? (call.costUsd != null ? money(call.costUsd) : html`<span class="muted none" title="Not reported: agentmon prices the call from the model prices">—</span>`) : null}</td>
  </tr>`;
}

/**
 * `first`: the first page of Session.events (reloaded while the session
 * is live); `statusOf`: run id → status; `totals`: the session's
 * messageCount, modelCalls and toolCalls. Keyed by the session's id.
 */
export function Timeline({ org, id, first, statusOf, totals }) {
  // Once a next page is loaded, the pages as loaded (the first one as it was then), so a reloaded first page cannot leave a gap.
  const [state, setState] = useState({ pages: [], loading: false, error: null });
  const pages = state.pages.length ? state.pages : [first];
  const latest = useRef(pages);
  latest.current = pages;
  const busy = useRef(false);
  const again = useRef(false);
  // Each page's rows, made once (for this time zone and these run outcomes): Preact leaves a row it is given again alone,
  // so a page loaded after thousands of events costs its own rows only.
  const rendered = useRef(new WeakMap());
  // The button leaves with the last page: its keyboard focus goes to the count of events shown.
  const button = useRef(null);
  const said = useRef(null);
  const refocus = useRef(false);

  /** Loads the events after the last one shown; a call while one is on its way runs once it is done. */
  function loadAfter() {
    if (busy.current) {
      again.current = true;
      return;
    }
    busy.current = true;
    const held = latest.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    gql(MORE, { org: org.slug, id, after: held.at(-1).pageInfo.endCursor }).then((d) => {
      const page = orgOf(d, org.slug).session?.events;
      if (!page) throw new Error('The session is no longer there.');
      refocus.current = document.activeElement === button.current && !page.pageInfo.hasNextPage;
      // A live check that found nothing new adds no page.
      setState({ pages: page.edges.length ? [...held, page] : held, loading: false, error: null });
    }).catch((error) => setState((s) => ({ ...s, loading: false, error }))).finally(() => {
      busy.current = false;
      if (again.current) {
        again.current = false;
        if (!latest.current.at(-1).pageInfo.hasNextPage) loadAfter();
      }
    });
  }

  // A live reload (a new first page) while later pages are shown: new events at the end join them.
  useEffect(() => {
    if (state.pages.length && !latest.current.at(-1).pageInfo.hasNextPage) loadAfter();
  }, [first]);

  useEffect(() => {
    if (refocus.current && !state.loading) {
      refocus.current = false;
      said.current?.focus();
    }
  }, [state]);

  const shown = pages.reduce((n, p) => n + p.edges.length, 0);
  const more = pages.at(-1).pageInfo.hasNextPage;
  const context = `${org.timezone} ${JSON.stringify(statusOf)}`;
  const rows = pages.map((p) => {
    const known = rendered.current.get(p);
    if (known?.context === context) return known.rows;
    const fresh = p.edges.map(({ node: e }) => html`<${Row} key=${e.eventId} event=${e} timeZone=${org.timezone} status=${statusOf[e.runId]} />`);
    rendered.current.set(p, { context, rows: fresh });
    return fresh;
  });
  const kinds = [[totals.modelCalls, 'model call'], [totals.toolCalls, 'tool call'], [totals.messageCount, 'message']]
    .filter(([n]) => n > 0).map(([n, word]) => `${count(n)} ${word}${n === 1 ? '' : 's'}`);
  return html`<section aria-labelledby="timeline"><h2 id="timeline">Timeline</h2>
    <p class="hint">Every event of the session, oldest first, ${PAGE} at a time.${kinds.length ? ` In all it has ${kinds.join(', ')}.` : ''}</p>
    <div class="scroll"><table class="timeline">
      <thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Details</th><th scope="col" class="num">Duration</th><th scope="col" class="num">Cost</th></tr></thead>
      <tbody>${rows}</tbody>
    </table></div>
    <div class="timeline-more">
      <p role="status" tabindex="-1" ref=${said}>${more ? `${count(shown)} events shown; more follow.` : `All ${count(shown)} events shown.`}</p>
      ${more ? html`<button type="button" ref=${button} aria-disabled=${state.loading ? 'true' : undefined} onClick=${loadAfter}>${state.loading ? 'Loading…' : `Load more events (${PAGE} at a time)`}</button>` : null}
    </div>
    ${state.error ? html`<${ErrorBox} error=${state.error} />` : null}
  </section>`;
}

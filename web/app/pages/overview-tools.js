// The overview's tools (of the whole org, from the agents' tool calls):
// the most used first, with failures, permission decisions, the share of
// calls that were refused, and the p95 duration; a tool's name opens the
// sessions that called it.
import { html } from '../html.js';
import { breakable, Empty } from '../parts.js';
import { count, duration, percent } from '../format.js';
import { TOOL_DEFINITIONS } from '../definitions.js';

/** The fields of OrgOverview.tools that Tools shows. */
export const TOOL_FIELDS = 'name calls failed accepted rejected durationP95Ms';

const COLUMNS = ['Calls', 'Failed', 'Accepted', 'Rejected', 'Rejection share', 'p95 duration'];

/**
 * rejected ÷ calls, and its terms in words. Not ÷ decisions: a call that ran
 * without a reported decision was allowed (Codex reports refusals only, so
 * its share of refused decisions would always read 100 %).
 */
function rejectedShare({ calls, rejected }) {
  return calls ? { rate: rejected / calls, about: `${count(rejected)} of ${count(calls)} calls rejected` } : { rate: null, about: null };
}

/** `link(name)`: the sessions list of the tool's sessions. */
export function Tools({ tools, link }) {
  return html`<section aria-labelledby="tools">
    <h3 id="tools">By tool <small>the 10 most called</small></h3>
    ${tools.length
      ? html`<table class="stack tools">
        <thead><tr><th scope="col">Tool</th>${COLUMNS.map((c) => html`<th scope="col" class="num" title=${TOOL_DEFINITIONS[c]}>${c}</th>`)}</tr></thead>
        <tbody>${tools.map((t) => {
          const share = rejectedShare(t);
          return html`<tr key=${t.name}>
            <th scope="row" data-label="Tool" class="wide"><a href=${link(t.name)}>${breakable(t.name)}</a></th>
            <td data-label="Calls" class="num">${count(t.calls)}</td>
            <td data-label="Failed" class="num">${count(t.failed)}</td>
            <td data-label="Accepted" class="num">${count(t.accepted)}</td>
            <td data-label="Rejected" class="num">${count(t.rejected)}</td>
            <td data-label="Rejection share" class="num" title=${share.about}>${percent(share.rate)}${share.about ? html`<span class="visually-hidden"> (${share.about})</span>` : null}</td>
            <td data-label="p95 duration" class="num">${duration(t.durationP95Ms)}</td></tr>`;
        })}</tbody></table>`
      : html`<${Empty}>No tool call in this range.</${Empty}>`}
  </section>`;
}

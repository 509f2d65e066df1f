// The Alerts page's history: the org's notifications (Org.alertNotifications),
// newest first, 50 a page with "Load more" (the cursor): when, the rule, the
// state it reached (WARNING, FIRING, or resolved), its value against the
// threshold, the window it was in, and each channel's delivery (status,
// attempts, the receiver's answer, the last error).
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { orgOf } from '../query.js';
import { Empty, ErrorBox } from '../parts.js';
import { count, whenShort } from '../format.js';
import { figure, StateBadge, windowName } from '../alert-parts.js';

export const NOTIFICATION_FIELDS = `id state value threshold windowStart at rule { id name metric window comparison }
  deliveries { channel { id name kind } status attempts responseStatus lastError }`;
/** The first page, asked for with the rules. */
export const FIRST_PAGE = `alertNotifications(first: 50) { edges { cursor node { ${NOTIFICATION_FIELDS} } } pageInfo { hasNextPage endCursor } totalCount }`;
const MORE = `query($org: String!, $after: String) { org(slug: $org) { alertNotifications(first: 50, after: $after) {
  edges { cursor node { ${NOTIFICATION_FIELDS} } } pageInfo { hasNextPage endCursor } } } }`;

/**
 * The notifications loaded so far: the first page (from the page's query,
 * read again on every reload) and the pages after it. Returns `{ all,
 * hasMore, loading, error, loadMore }`, `all` newest first, each once.
 */
export function useHistory(slug, first) {
  const [more, setMore] = useState({ slug, pages: [], loading: false, error: null });
  const pages = more.slug === slug ? more.pages : [];
  const every = [first, ...pages].filter(Boolean);
  const seen = new Set();
  const all = every.flatMap((p) => p.edges.map((e) => e.node)).filter((n) => !seen.has(n.id) && seen.add(n.id));
  const last = every[every.length - 1];
  const loadMore = () => {
    if (more.loading || !last?.pageInfo.hasNextPage) return;
    setMore({ slug, pages, loading: true, error: null });
    gql(MORE, { org: slug, after: last.pageInfo.endCursor }).then(
      (d) => setMore((m) => (m.slug === slug ? { ...m, pages: [...m.pages, orgOf(d, slug).alertNotifications], loading: false } : m)),
      (error) => setMore((m) => ({ ...m, loading: false, error })),
    );
  };
  return { all, hasMore: Boolean(last?.pageInfo.hasNextPage), total: first?.totalCount, loading: more.loading, error: more.error, loadMore };
}

/** A notification's value against its threshold: "$812.40 of $800.00", "74.0 % (at or below 80.0 %)". */
export const againstText = (n) =>
  n.rule.comparison === 'BELOW'
    ? `${figure(n.rule.metric, n.value)} (at or below ${figure(n.rule.metric, n.threshold)})`
    : `${figure(n.rule.metric, n.value)} of ${figure(n.rule.metric, n.threshold)}`;

/** The window a notification is of: "hour from Dec 4, 3:00 PM", "month from Dec 1". */
function windowOf(n, timeZone) {
  const from = n.rule.window === 'HOUR'
    ? whenShort(n.windowStart, timeZone)
    : new Date(n.windowStart).toLocaleDateString(undefined, { timeZone, month: 'short', day: 'numeric' });
  return `${windowName(n.rule.window)} from ${from.replace(/ /g, '\u00a0')}`;
}

const DELIVERY = { DELIVERED: 'delivered', FAILED: 'failed', PENDING: 'pending' };

/** One channel's delivery in words. */
export function Delivery({ d }) {
  const tries = `${count(d.attempts)}\u00a0attempt${d.attempts === 1 ? '' : 's'}`;
  return html`<span class=${`delivery ${d.status.toLowerCase()}`}><span class="status">${DELIVERY[d.status] ?? d.status}</span>
    ${' '}${tries}${d.responseStatus != null ? `, HTTP\u00a0${d.responseStatus}` : ''}${d.lastError ? html`<span class="delivery-error">${d.lastError}</span>` : null}</span>`;
}

export function History({ org, history }) {
  const tz = org.timezone;
  const { all } = history;
  return html`<section aria-labelledby="alert-history">
    <h2 id="alert-history">History <small>${history.total != null ? `${count(history.total)} notification${history.total === 1 ? '' : 's'}, ` : ''}newest first</small></h2>
    ${history.error ? html`<${ErrorBox} error=${history.error} />` : null}
    ${all.length === 0
      ? html`<${Empty}>No notification yet: a rule is notified when it rises to WARNING or FIRING, and when it resolves.</${Empty}>`
      : html`<table class="stack alert-history">
        <thead><tr><th scope="col">When</th><th scope="col">Rule</th><th scope="col">State</th><th scope="col">Value</th>
          <th scope="col">Window</th><th scope="col">Deliveries</th></tr></thead>
        <tbody>${all.map((n) => html`<tr key=${n.id} data-rule=${n.rule.id}>
          <td data-label="When"><time datetime=${n.at}>${whenShort(n.at, tz, { seconds: true })}</time></td>
          <th scope="row" data-label="Rule">${n.rule.name}</th>
          <td data-label="State"><${StateBadge} state=${n.state} resolved /></td>
          <td data-label="Value" class="value">${againstText(n)}</td>
          <td data-label="Window"><time datetime=${n.windowStart}>${windowOf(n, tz)}</time></td>
          <td data-label="Deliveries" class="wide">${n.deliveries.length
            ? html`<ul class="deliveries">${n.deliveries.map((d) => html`<li key=${d.channel.id}><span class="channel">${d.channel.name}</span>: <${Delivery} d=${d} /></li>`)}</ul>`
            : html`<span class="muted">no channel</span>`}</td></tr>`)}</tbody></table>`}
    ${history.hasMore
      ? html`<button type="button" class="load-more" aria-disabled=${history.loading ? 'true' : undefined} onClick=${history.loadMore}>${history.loading ? 'Loading…' : 'Load more'}</button>`
      : null}
  </section>`;
}

// The Alerts page's history: the org's notifications (Org.alertNotifications),
// newest first, 50 a page with "Load more" (the cursor): when, the rule, the
// state it reached (WARNING, FIRING, or resolved), its value against the
// threshold, the window it was in, and each channel's delivery (status,
// attempts, the receiver's answer, the last error).
import { useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { orgOf } from '../query.js';
import { Empty, ErrorBox } from '../parts.js';
import { count, whenShort } from '../format.js';
import { againstText, StateBadge, windowName } from '../alert-parts.js';

export const NOTIFICATION_FIELDS = `id state value threshold windowStart at rule { id name metric window comparison }
  deliveries { channel { id name kind } status attempts responseStatus lastError }`;
/** The first page, asked for with the rules. */
export const FIRST_PAGE = `alertNotifications(first: 50) { edges { cursor node { ${NOTIFICATION_FIELDS} } } pageInfo { hasNextPage endCursor } totalCount }`;
const MORE = `query($org: String!, $after: String) { org(slug: $org) { alertNotifications(first: 50, after: $after) {
  edges { cursor node { ${NOTIFICATION_FIELDS} } } pageInfo { hasNextPage endCursor } } } }`;

/**
 * The notifications loaded so far, newest first, each once. `first`: the
 * first page, from the page's query, read again on every reload: while no
 * page past it is loaded it is the list; once there are, it replaces what
 * it covers and the older pages stay after it, so a notification that a
 * newer one pushes past the first page stays in view. Returns `{ all,
 * hasMore, total, loading, error, loadMore }`.
 */
export function useHistory(slug, first) {
  const kept = useRef(null);
  const [status, setStatus] = useState({ slug, loading: false, error: null });
  if (first && (kept.current?.slug !== slug || kept.current.first !== first)) {
    kept.current = withFirst(kept.current?.slug === slug ? kept.current : null, first, slug);
  }
  const h = kept.current?.slug === slug ? kept.current : null;
  const mine = status.slug === slug ? status : { loading: false, error: null };
  const loadMore = () => {
    if (mine.loading || !h?.end.hasNextPage) return;
    const asked = h;
    setStatus({ slug, loading: true, error: null });
    gql(MORE, { org: slug, after: asked.end.endCursor }).then(
      (d) => {
        if (kept.current?.slug !== slug) return;
        const page = orgOf(d, slug).alertNotifications;
        let next = { ...asked, rows: once([...asked.rows, ...page.edges.map((e) => e.node)]), end: page.pageInfo, paged: true };
        // A reload while it was asked for: its first page over what is now loaded.
        if (kept.current.first !== asked.first) next = withFirst(next, kept.current.first, slug);
        kept.current = next;
        setStatus({ slug, loading: false, error: null });
      },
      (error) => setStatus({ slug, loading: false, error }),
    );
  };
  return { all: h?.rows ?? [], hasMore: Boolean(h?.end.hasNextPage), total: first?.totalCount, loading: mine.loading, error: mine.error, loadMore };
}

/** Notifications without repeats, in their order. */
function once(rows) {
  const seen = new Set();
  return rows.filter((n) => !seen.has(n.id) && seen.add(n.id));
}

/**
 * The history `h` (null: none yet) with `first`, the first page as it reads
 * now. With pages loaded past the first, the first page replaces the rows
 * down to its oldest and those after it stay; it starts again from the
 * first page when that is all there is, or when it does not reach what was
 * loaded (more new notifications than a page).
 */
function withFirst(h, first, slug) {
  const rows = first.edges.map((e) => e.node);
  const fresh = { slug, first, rows, end: first.pageInfo, paged: false };
  if (!h?.paged || !first.pageInfo.hasNextPage || rows.length === 0) return fresh;
  const oldest = h.rows.findIndex((n) => n.id === rows[rows.length - 1].id);
  if (oldest === -1) return fresh;
  return { ...h, first, rows: once([...rows, ...h.rows.slice(oldest + 1)]) };
}

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
        <tbody>${all.map((n) => html`<tr key=${n.id} data-id=${n.id} data-rule=${n.rule.id}>
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

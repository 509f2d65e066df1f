// The sessions table: a row per session, led by its repo, saying whether
// it is live (an event in the last 10 minutes). The headers of the columns
// the server orders by are buttons (sessions-order.js); the Last activity
// header also orders by the start, which its cells show below. At phone
// widths the rows are cards (styles.css).
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { href, rangeParams } from '../router.js';
import { SessionLabel } from '../session-label.js';
import { count, duration, money, whenShort } from '../format.js';
import { SortHeader } from './sessions-order.js';

/** A session with an event this recent is live. */
const LIVE_MS = 10 * 60_000;

/** [label, its header's [SessionOrderField, label] buttons (none: not sortable), figure]: the table's columns. */
const COLUMNS = [
  ['Session'], ['User'], ['Status'], ['Last activity', [['LAST_ACTIVITY', 'Last activity'], ['STARTED', 'started']]],
  ['Messages', [['MESSAGES', 'Messages']], true], ['Runs', [['RUNS', 'Runs']], true], ['Failed', [['FAILED_RUNS', 'Failed']], true],
  ['Cost', [['COST', 'Cost']], true], ['Active', [['ACTIVE_TIME', 'Active']], true], ['Handoff'], ['Attributes'],
];

/** A session's attributes as `key=value` (the form the attribute filter takes). */
const attributes = (json) =>
  Object.entries(json ?? {})
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');

/** Live (an event in the last 10 minutes) or ended, with a running run said. */
function Status({ session, now }) {
  const running = session.runCount - session.succeededRuns - session.failedRuns - session.cancelledRuns;
  const live = now - Date.parse(session.lastEventAt) < LIVE_MS;
  const title = live ? 'An event in the last 10 minutes' : 'No event for 10 minutes or more';
  return html`<span class=${`state ${live ? 'live' : 'ended'}`} title=${title}>${live ? 'live' : 'ended'}</span>${running > 0 && live
    ? html` <span class="muted">${count(running)} running</span>` : null}`;
}

/** Re-renders every minute, so "live" turns into "ended" without new events. */
function useNow() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** `rows`: sessions in `order`; `onSort(order)` asks for another; `people`: user names link to their pages. */
export function SessionsTable({ org, route, rows, order, onSort, people }) {
  const now = useNow();
  const time = (iso) => html`<time datetime=${iso}>${whenShort(iso, org.timezone)}</time>`;
  return html`<div class="scroll"><table class="sessions">
    <thead><tr>${COLUMNS.map(([label, sorts, num]) => (sorts
      ? html`<${SortHeader} sorts=${sorts} order=${order} onSort=${onSort} num=${num} />`
      : html`<th scope="col">${label}</th>`))}</tr></thead>
    <tbody>${rows.map((s) => html`<tr key=${s.id}>
      <td data-label="Session" class="session"><a href=${href(['org', org.slug, 'sessions', s.id], rangeParams(route.params))} title=${s.id}><${SessionLabel} session=${s} /></a></td>
      <td data-label="User">${people ? html`<a href=${href(['org', org.slug, 'users', s.user.id], rangeParams(route.params))}>${s.user.name ?? s.user.id}</a>` : s.user.name ?? s.user.id}</td>
      <td data-label="Status"><${Status} session=${s} now=${now} /></td>
      <td data-label="Last activity">${time(s.lastEventAt)} <span class="started">started ${time(s.startedAt)}</span></td>
      <td data-label="Messages" class="num">${count(s.messageCount)}</td><td data-label="Runs" class="num">${count(s.runCount)}</td>
      <td data-label="Failed" class="num">${count(s.failedRuns)}</td><td data-label="Cost" class="num">${money(s.costUsd)}</td>
      <td data-label="Active" class="num">${duration(s.activeTimeMs)}</td>
      <td data-label="Handoff">${s.handedOff ? (s.iteratedAfterHandoff ? 'local, iterated' : 'local') : '—'}</td>
      <td data-label="Attributes" class="attributes">${attributes(s.attributes)}</td></tr>`)}</tbody></table></div>`;
}

// Live alert toasts (MANAGER and up): each state change of a rule of the
// org the viewer is looking at (Subscription.alertNotified) shows for a few
// seconds at the foot of the screen, in a polite live region: "Team budget
// is FIRING: $812.40 of $800.00 (month)", or "… resolved: …", with a link
// to the Alerts page and a Dismiss button. It stays while the pointer or
// focus is on it; at most MAX show, the oldest leaves first. Each
// notification is also announced to the page (`agentmon:alert`), so the
// Alerts page and the budget indicator read their figures again.
// The subscription starts after the org's newest notification when the
// page opened (and, when the socket comes back after dropping, after the
// newest it got), so none stored in between is missed.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { gql, subscribe } from './api.js';
import { href } from './router.js';
import { againstText, INSTANT, StateBadge, windowName } from './alert-parts.js';

const NEWEST = `query($org: String!) { org(slug: $org) { alertNotifications(first: 1) { edges { node { id } } } } }`;
const LIVE = `subscription($org: String!, $after: ID) { alertNotified(org: $org, after: $after) {
  id state value threshold at rule { id name metric window comparison } } }`;
/** How many toasts show at once, and how long one stays. */
const MAX = 3;
const SHOWN_MS = 10_000;
/** How long after the page opens the subscription starts. */
const START_MS = 1_500;

/** A notification in one sentence. */
export function toastText(n) {
  const { rule } = n;
  const verb = { FIRING: 'is FIRING', WARNING: 'is at WARNING', OK: 'resolved' }[n.state] ?? `is ${n.state}`;
  const window = INSTANT.includes(rule.metric) ? '' : ` (${windowName(rule.window)})`;
  return `${rule.name} ${verb}: ${againstText(n)}${window}`;
}

export function AlertToasts({ org }) {
  const [toasts, setToasts] = useState([]);
  useEffect(() => {
    let current = true;
    let stop = null;
    // The newest notification had: where the subscription starts, and starts again after a reconnection.
    let after = null;
    // Unreadable: from the newest at the moment it subscribes (the server's default).
    // Started a moment after the page opens, so that its own first
    // queries and drawing go first (the page's ready time).
    const start = () => gql(NEWEST, { org: org.slug }).then((d) => d.org?.alertNotifications.edges[0]?.node.id ?? null, () => null).then((id) => {
      if (!current) return;
      after = id;
      stop = subscribe(LIVE, () => ({ org: org.slug, after }), (d) => {
        const n = d.alertNotified;
        if (!n) return;
        after = n.id;
        setToasts((shown) => [...shown.filter((t) => t.id !== n.id), n].slice(-MAX));
        dispatchEvent(new CustomEvent('agentmon:alert', { detail: n }));
      });
    });
    const later = setTimeout(start, START_MS);
    return () => {
      current = false;
      clearTimeout(later);
      stop?.();
      setToasts([]);
    };
  }, [org.slug]);
  const dismiss = (id) => setToasts((shown) => shown.filter((t) => t.id !== id));
  // The live region is always there, so what enters it is announced.
  return html`<div class="toasts" role="status" aria-live="polite" aria-label="Alert notifications">
    ${toasts.map((n) => html`<${Toast} key=${n.id} n=${n} org=${org} onDismiss=${() => dismiss(n.id)} />`)}
  </div>`;
}

function Toast({ n, org, onDismiss }) {
  const [held, setHeld] = useState(false);
  const box = useRef(null);
  useEffect(() => {
    if (held) return undefined;
    const timer = setTimeout(onDismiss, SHOWN_MS);
    return () => clearTimeout(timer);
  }, [held]);
  // Focus leaving a toast that is dismissed goes back to the page.
  const close = () => {
    if (box.current?.contains(document.activeElement)) document.querySelector('main')?.focus();
    onDismiss();
  };
  const within = (e) => box.current?.contains(e.relatedTarget);
  return html`<div class=${`toast ${n.state.toLowerCase()}`} ref=${box} data-rule=${n.rule.id}
      onMouseEnter=${() => setHeld(true)} onMouseLeave=${() => setHeld(box.current?.contains(document.activeElement) ?? false)}
      onFocusIn=${() => setHeld(true)} onFocusOut=${(e) => within(e) || setHeld(false)}>
    <${StateBadge} state=${n.state} resolved />
    <p class="toast-text">${toastText(n)}</p>
    <span class="controls">
      <a href=${href(['org', org.slug, 'alerts'])}>Open Alerts</a>
      <button type="button" onClick=${close} aria-label=${`Dismiss: ${n.rule.name}`}>Dismiss</button>
    </span>
  </div>`;
}

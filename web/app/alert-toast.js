// Live alert toasts (MANAGER and up): each state change of a rule of the
// org the viewer is looking at (Subscription.alertNotified) shows for a few
// seconds at the foot of the screen, in a polite live region: "Team budget
// is FIRING: $812.40 of $800.00 (month)", or "… resolved: …", with a link
// to the Alerts page and a Dismiss button. It stays while the pointer or
// focus is on it; at most MAX show, the oldest leaves first. Each
// notification is also announced to the page (`agentmon:alert`), so the
// Alerts page and the budget indicator read their figures again. The
// subscription starts a moment after the page opens, not during its first
// queries.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { subscribe } from './api.js';
import { href } from './router.js';
import { figure, StateBadge, windowName } from './alert-parts.js';

const LIVE = `subscription($org: String!) { alertNotified(org: $org) { id state value threshold at rule { id name metric window comparison } } }`;
/** How many toasts show at once, and how long one stays. */
const MAX = 3;
const SHOWN_MS = 10_000;
/** How long after the page opens the subscription starts. */
const START_MS = 1_000;

/** A notification in one sentence. */
export function toastText(n) {
  const { rule } = n;
  const verb = { FIRING: 'is FIRING', WARNING: 'is at WARNING', OK: 'resolved' }[n.state] ?? `is ${n.state}`;
  const against = rule.comparison === 'BELOW'
    ? `${figure(rule.metric, n.value)}, at or below ${figure(rule.metric, n.threshold)}`
    : `${figure(rule.metric, n.value)} of ${figure(rule.metric, n.threshold)}`;
  return `${rule.name} ${verb}: ${against} (${windowName(rule.window)})`;
}

export function AlertToasts({ org }) {
  const [toasts, setToasts] = useState([]);
  useEffect(() => {
    let stop = null;
    // Once the page has drawn its figures: the socket does not compete with them.
    const start = setTimeout(() => {
      stop = subscribe(LIVE, { org: org.slug }, (d) => {
        const n = d.alertNotified;
        if (!n) return;
        setToasts((shown) => [...shown.filter((t) => t.id !== n.id), n].slice(-MAX));
        dispatchEvent(new CustomEvent('agentmon:alert', { detail: n }));
      });
    }, START_MS);
    return () => {
      clearTimeout(start);
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

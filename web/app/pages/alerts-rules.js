// The Alerts page's rules: one card each — name, what it watches (metric,
// window, scope), its state in words, its value against the threshold as a
// bar (with the warning line of a budget), when it was last evaluated and
// its last notification. FIRING first, then WARNING, then OK; disabled
// rules last, "Disabled" where the state would be (they have none). Edit
// and Delete for those who manage them.
import { html } from '../html.js';
import { Empty } from '../parts.js';
import { byName, whenShort } from '../format.js';
import { againstText, AlertBar, INSTANT, metricName, scopeOf, StateBadge, windowName } from '../alert-parts.js';

const RANK = { FIRING: 0, WARNING: 1, OK: 2 };
const order = (a, b) => (a.enabled === b.enabled ? 0 : a.enabled ? -1 : 1) || RANK[a.state] - RANK[b.state] || byName(a.name, b.name);

/** What a rule watches, in words: "Cost of team Platform, per month, fires at or above the threshold" ("now" for a metric read at the moment). */
const watches = (rule) =>
  `${metricName(rule.metric)} of the ${scopeOf(rule)}, ${INSTANT.includes(rule.metric) ? 'now' : `per ${windowName(rule.window)}`}, fires ${rule.comparison === 'BELOW' ? 'at or below' : 'at or above'} the threshold`;

/** `notifications`: loaded so far, newest first; `complete`: whether that is all of them. */
export function RuleList({ org, rules, notifications, complete, manage, onEdit, onDelete }) {
  if (rules.length === 0) {
    return html`<${Empty}>No rule yet.${manage ? ' Add one: a budget on the org’s cost per month is a good first.' : ' An ORG_ADMIN of the org adds them.'}</${Empty}>`;
  }
  const newest = new Map();
  for (const n of notifications) if (!newest.has(n.rule.id)) newest.set(n.rule.id, n);
  return html`<ul class="rules">${[...rules].sort(order).map((rule) => html`<li key=${rule.id}>
    <${Rule} org=${org} rule=${rule} last=${newest.get(rule.id)} complete=${complete} manage=${manage} onEdit=${onEdit} onDelete=${onDelete} /></li>`)}</ul>`;
}

function Rule({ org, rule, last, complete, manage, onEdit, onDelete }) {
  const tz = org.timezone;
  const id = `rule-${rule.id}`;
  return html`<article class=${`rule-card ${rule.enabled ? rule.state.toLowerCase() : 'disabled'}`} aria-labelledby=${id} data-rule=${rule.id}>
    <header>
      <h3 id=${id} tabindex="-1">${rule.name}</h3>
      ${rule.enabled ? html`<${StateBadge} state=${rule.state} />` : html`<span class="alert-state disabled">Disabled</span>`}
    </header>
    <p class="rule-watch">${watches(rule)}${rule.enabled ? '' : ' — disabled: not evaluated'}.</p>
    <${AlertBar} rule=${rule} />
    <dl class="rule-facts">
      <dt>Evaluated</dt><dd>${rule.evaluatedAt ? html`<time datetime=${rule.evaluatedAt}>${whenShort(rule.evaluatedAt, tz, { seconds: true })}</time>` : 'not yet in this window'}</dd>
      <dt>Last notification</dt><dd class="last-notification">${last
        ? html`<${StateBadge} state=${last.state} resolved /> <time datetime=${last.at}>${whenShort(last.at, tz)}</time> <span class="muted">${againstText(last)}</span>`
        : complete ? 'none yet' : 'none among the newest loaded'}</dd>
      <dt>Channels</dt><dd>${rule.channels.length ? rule.channels.map((c) => c.name).join(', ') : html`<span class="muted">none (the history only)</span>`}</dd>
    </dl>
    ${manage
      ? html`<span class="controls">
          <button type="button" onClick=${() => onEdit(rule)}>Edit<span class="visually-hidden"> rule ${rule.name}</span></button>
          <button type="button" class="danger" onClick=${() => onDelete(rule)}>Delete<span class="visually-hidden"> rule ${rule.name}</span></button>
        </span>`
      : null}
  </article>`;
}

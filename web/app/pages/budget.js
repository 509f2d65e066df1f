// The overview's budgets (MANAGER and up): the enabled COST_USD rules of the
// scope shown — the org's own on the org's overview, a team's on that
// team's — each as a compact bar, "$X of $Y this month (Z %)", with its
// warning line and state, and a link to the Alerts page. Nothing when the
// scope has none. Loaded once the overview's figures are drawn; read again
// when a notification arrives live, and every 30 seconds while the page is
// in view (the cost moves with every batch of events between notifications).
import { useEffect } from 'preact/hooks';
import { html } from '../html.js';
import { orgOf, useQuery } from '../query.js';
import { href } from '../router.js';
import { byName } from '../format.js';
import { AlertBar, StateBadge } from '../alert-parts.js';

/** How often the budgets are read again while the page is in view. */
const POLL_MS = 30_000;

const QUERY = `query($org: String!) { org(slug: $org) { alertRules { id name metric window comparison threshold warnAt team { id } user { id } enabled state value evaluatedAt } } }`;

/** The budgets of the org (`team` null) or of a team. */
export const budgetsOf = (rules, team) =>
  rules.filter((r) => r.metric === 'COST_USD' && r.enabled && !r.user && (team ? r.team?.id === team : !r.team)).sort((a, b) => byName(a.name, b.name));

export function Budgets({ org, team }) {
  const result = useQuery(QUERY, { org: org.slug }, (d) => orgOf(d, org.slug).alertRules);
  useEffect(() => {
    const again = () => result.reload();
    const poll = setInterval(() => document.visibilityState === 'visible' && again(), POLL_MS);
    addEventListener('agentmon:alert', again);
    return () => {
      clearInterval(poll);
      removeEventListener('agentmon:alert', again);
    };
  }, [org.slug]);
  const budgets = result.data ? budgetsOf(result.data, team) : [];
  if (!budgets.length) return null;
  const alerts = href(['org', org.slug, 'alerts']);
  return html`<section class="budgets" aria-labelledby="budgets">
    <h2 id="budgets">${budgets.length === 1 ? 'Budget' : 'Budgets'} <small>${team ? 'of this team' : 'of the whole org'} · <a href=${alerts}>Alerts</a></small></h2>
    <ul class="budget-list">${budgets.map((rule) => html`<li key=${rule.id} class="budget" data-rule=${rule.id}>
      <div class="budget-head"><span class="budget-name">${rule.name}</span> <${StateBadge} state=${rule.state} /></div>
      <${AlertBar} rule=${rule} compact />
    </li>`)}</ul>
  </section>`;
}

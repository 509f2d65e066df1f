// The Fleet pages (SUPER_ADMIN): the overview of every org, the background
// jobs, the dead letters and the platform's model prices, as tabs; one
// module each.
import { html } from '../html.js';
import { href, rangeParams } from '../router.js';
import { Global } from './global.js';
import { Jobs } from './fleet-jobs.js';
import { DeadLetters } from './fleet-dead-letters.js';
import { ModelPrices } from './admin-prices.js';

/** The platform's default model prices, which every org inherits. */
const Prices = ({ tabs }) => html`<h1>Fleet</h1>${tabs}<${ModelPrices} org=${null} role="SUPER_ADMIN" headingLevel=${2} />`;

const TABS = [
  ['overview', 'Overview', Global],
  ['jobs', 'Jobs', Jobs],
  ['dead-letters', 'Dead letters', DeadLetters],
  ['prices', 'Prices', Prices],
];

/** The tab's name for the page title. */
export const fleetTitle = (tab) => (TABS.find(([key]) => key === tab) ?? TABS[0])[1];

/** The tabs, after each page's heading; they carry the range. */
function FleetTabs({ route }) {
  const current = route.parts[1] ?? 'overview';
  const keep = rangeParams(route.params);
  return html`<nav class="tabs" aria-label="Fleet">
    ${TABS.map(([key, label]) => html`<a href=${href(key === 'overview' ? ['global'] : ['global', key], keep)}
      aria-current=${key === current ? 'page' : undefined}>${label}</a>`)}
  </nav>`;
}

export function Fleet({ route, viewer }) {
  const [, , Page] = TABS.find(([key]) => key === route.parts[1]) ?? TABS[0];
  return html`<${Page} route=${route} viewer=${viewer} tabs=${html`<${FleetTabs} route=${route} />`} />`;
}

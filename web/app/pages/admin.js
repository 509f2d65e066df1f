// The admin pages of an org, for its ORG_ADMIN and for SUPER_ADMIN: tabs for
// API keys, members, teams, the audit log and settings, one module each.
import { html } from '../html.js';
import { href, rangeParams } from '../router.js';
import { ErrorBox } from '../parts.js';
import { Keys } from './admin-keys.js';
import { Members } from './admin-members.js';
import { Teams } from './admin-teams.js';
import { AuditLog } from './admin-audit.js';
import { Settings } from './admin-settings.js';

const TABS = [
  ['keys', 'Keys', Keys],
  ['members', 'Members', Members],
  ['teams', 'Teams', Teams],
  ['audit', 'Audit log', AuditLog],
  ['settings', 'Settings', Settings],
];

/** The roles that see the Admin pages (the server checks every request too). */
export const mayAdminister = (role) => ['ORG_ADMIN', 'SUPER_ADMIN'].includes(role);

/** The tab's name for the page title. */
export const tabTitle = (tab) => (TABS.find(([key]) => key === tab) ?? TABS[0])[1];

export function Admin({ org, route, viewer, tab }) {
  if (!mayAdminister(viewer.role)) {
    return html`<h1>Admin</h1><${ErrorBox} error=${{ code: 'FORBIDDEN', message: 'The admin pages are for an ORG_ADMIN of this org or a SUPER_ADMIN.' }} />`;
  }
  const [current, , Page] = TABS.find(([key]) => key === tab) ?? TABS[0];
  const keep = rangeParams(route.params);
  return html`
    <h1>Admin <small>${org.name}</small></h1>
    <nav class="tabs" aria-label="Admin">
      ${TABS.map(([key, label]) => html`<a href=${href(['org', org.slug, 'admin', key], keep)} aria-current=${key === current ? 'page' : undefined}>${label}</a>`)}
    </nav>
    <${Page} org=${org} route=${route} viewer=${viewer} />`;
}

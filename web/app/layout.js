// The frame of every page: navigation for what the role may open, the org
// selector (SUPPORT and SUPER_ADMIN), the range selector (not on the admin
// and alerts pages nor the fleet's jobs and dead letters, which have no
// range), the team selector (overview, sessions and users lists), the theme
// toggle, and the live alert toasts (MANAGER and up).
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { href, rangeOf, rangeParams, rangeProblem, teamParams } from './router.js';
import { signOut } from './session.js';
import { Freshness } from './freshness.js';
import { choice, cycleTheme, useTheme } from './theme.js';
import { mayAdminister } from './pages/admin.js';
import { TeamPicker } from './teams.js';
import { mayReadAlerts } from './alert-parts.js';
import { AlertToasts } from './alert-toast.js';

const RANGES = [7, 30, 90];

/**
 * The range selector: last 7, 30 or 90 days, or a custom span of dates. A
 * "to" before "from" (or a date that is not one) is not applied and says
 * so next to the dates; so does a range in the URL that is not valid.
 */
function RangePicker({ route, timeZone }) {
  const range = rangeOf(route.params, timeZone);
  const chosen = rangeParams(route.params);
  // Dates typed but not applied (not valid), kept in the inputs with the reason.
  const [draft, setDraft] = useState(null);
  const asked = ['days', 'from', 'to'].map((key) => route.params.get(key)).join('/');
  useEffect(() => setDraft(null), [asked]);
  const go = (next) => {
    const params = Object.fromEntries(route.params);
    for (const key of ['days', 'from', 'to']) delete params[key];
    location.hash = href(route.parts, { ...params, ...next });
  };
  const pick = (value) => (value === 'custom' ? go({ from: range.from, to: range.to }) : go({ days: value }));
  const setDate = (key, value) => {
    const next = { from: draft?.from ?? range.from, to: draft?.to ?? range.to, [key]: value };
    const label = key === 'from' ? 'From' : 'To';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) setDraft({ ...next, problem: `Enter a whole date in “${label}”. The range stays ${range.from} to ${range.to}.` });
    else if (next.from > next.to) setDraft({ ...next, problem: `“To” (${next.to}) is before “From” (${next.from}): not applied. The range stays ${range.from} to ${range.to}.` });
    else {
      setDraft(null);
      go({ from: next.from, to: next.to });
    }
  };
  const problem = draft?.problem ?? rangeProblem(route.params);
  const invalid = draft ? { 'aria-invalid': 'true', 'aria-describedby': 'range-error' } : {};
  return html`<span class="range">
    <label>Range <select onChange=${(e) => pick(e.target.value)} aria-describedby=${problem && !draft ? 'range-error' : undefined}>
      ${RANGES.map((d) => html`<option value=${d} selected=${chosen.days === d}>Last ${d} days</option>`)}
      <option value="custom" selected=${!chosen.days}>Custom…</option>
    </select></label>
    ${chosen.days
      ? null
      : html`<label>From <input type="date" value=${draft?.from ?? range.from} max=${range.to} onChange=${(e) => setDate('from', e.target.value)} ...${invalid} /></label>
        <label>To <input type="date" value=${draft?.to ?? range.to} min=${range.from} onChange=${(e) => setDate('to', e.target.value)} ...${invalid} /></label>`}
    ${problem ? html`<span class="field-error" id="range-error" role="alert">${problem}</span>` : null}
  </span>`;
}

export function Layout({ viewer, org, route, children }) {
  const page = route.parts[0] === 'global' ? 'global' : (route.parts[2] ?? 'overview');
  const keep = rangeParams(route.params);
  // The pages that show a team's figures, and the team they carry between them.
  const byTeam = ['overview', 'sessions', 'users'].includes(page) && !route.parts[3];
  const keepTeam = { ...keep, ...teamParams(route.params) };
  const role = viewer.me.role;
  const crossOrg = ['SUPPORT', 'SUPER_ADMIN'].includes(role);
  const people = role !== 'MEMBER';
  const link = (to, label, rest = []) =>
    html`<a href=${href(['org', org.slug, to, ...rest], rest.length ? keep : keepTeam)} aria-current=${page === to ? 'page' : undefined}>${label}</a>`;
  // Another org keeps the page (and the admin tab); a user's page becomes the users list.
  const samePage = page === 'global' ? ['overview'] : page === 'admin' ? route.parts.slice(2, 4) : [page];
  return html`
    <header class="top">
      <a class="brand" href=${href(['org', org.slug, 'overview'], keep)}>agentmon</a>
      <nav aria-label="Pages">
        ${link('overview', 'Overview')} ${link('sessions', 'Sessions')}
        ${people ? link('users', 'Users') : html`<a href=${href(['org', org.slug, 'users', viewer.me.userId], keep)}
          aria-current=${page === 'users' && route.parts[3] === viewer.me.userId ? 'page' : undefined}>Me</a>`}
        ${mayReadAlerts(role) ? html`<a href=${href(['org', org.slug, 'alerts'], keep)} aria-current=${page === 'alerts' ? 'page' : undefined}>Alerts</a>` : null}
        ${mayAdminister(role) ? link('admin', 'Admin', ['keys']) : null}
        ${role === 'SUPER_ADMIN' ? html`<a href=${href(['global'], keep)} aria-current=${page === 'global' ? 'page' : undefined}>Fleet</a>` : null}
      </nav>
      ${crossOrg
        ? html`<label>Org <select aria-label="Org" onChange=${(e) => (location.hash = href(['org', e.target.value, ...samePage], keep))}>
            ${viewer.orgs.map((o) => html`<option value=${o.slug} selected=${o.slug === org.slug}>${o.name}</option>`)}
          </select></label>`
        : html`<span class="org">${org.name}</span>`}
      ${page === 'admin' || page === 'alerts' || (page === 'global' && route.parts[1]) ? null : html`<${RangePicker} route=${route} timeZone=${page === 'global' ? 'UTC' : org.timezone} />`}
      ${byTeam ? html`<${TeamPicker} route=${route} slug=${org.slug} />` : null}
      <${ThemeToggle} />
      ${page === 'global' ? null : html`<${Freshness} slug=${org.slug} />`}
      <span class="who"><a href="/graphiql" title="The GraphQL API, signed in as you">GraphiQL</a>
        <span class="muted">${viewer.me.userId} · ${role}</span>
        <button type="button" onClick=${() => { signOut(); location.hash = '#/signin'; }}>Sign out</button></span>
    </header>
    <main class="page" tabindex="-1">${children}</main>
    ${page !== 'global' && mayReadAlerts(role) ? html`<${AlertToasts} org=${org} />` : null}`;
}

/** The theme button: says which theme is on and whether it follows the system. */
function ThemeToggle() {
  const theme = useTheme();
  const label = choice() === 'system' ? `${theme} (system)` : theme;
  return html`<button type="button" onClick=${cycleTheme} aria-label=${`Theme: ${label}. Switch theme`} title=${`Theme: ${label}`}>◐</button>`;
}

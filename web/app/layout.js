// The frame of every page: navigation for what the role may open, the org
// selector (SUPPORT and SUPER_ADMIN), the range selector, the theme toggle.
import { html } from './html.js';
import { href } from './router.js';
import { signOut } from './session.js';
import { Freshness } from './freshness.js';

const RANGES = [7, 30, 90];

function toggleTheme() {
  const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
  document.documentElement.dataset.theme = next;
  localStorage.setItem('agentmon.theme', next);
}

export function Layout({ viewer, org, route, children }) {
  const [, , page = 'overview'] = route.parts;
  const days = route.params.get('days') ?? '30';
  const role = viewer.me.role;
  const crossOrg = ['SUPPORT', 'SUPER_ADMIN'].includes(role);
  const people = role !== 'MEMBER';
  const link = (to, label) =>
    html`<a href=${href(['org', org.slug, to], { days })} aria-current=${page === to ? 'page' : undefined}>${label}</a>`;
  return html`
    <header class="top">
      <a class="brand" href=${href(['org', org.slug, 'overview'], { days })}>agentmon</a>
      <nav aria-label="Pages">
        ${link('overview', 'Overview')} ${link('sessions', 'Sessions')}
        ${people ? link('users', 'Users') : html`<a href=${href(['org', org.slug, 'users', viewer.me.userId], { days })}>Me</a>`}
        ${role === 'SUPER_ADMIN' ? html`<a href=${href(['global'], { days })} aria-current=${route.parts[0] === 'global' ? 'page' : undefined}>Fleet</a>` : null}
      </nav>
      ${crossOrg
        ? html`<label>Org <select onChange=${(e) => (location.hash = href(['org', e.target.value, page], { days }))}>
            ${viewer.orgs.map((o) => html`<option value=${o.slug} selected=${o.slug === org.slug}>${o.name}</option>`)}
          </select></label>`
        : html`<span class="org">${org.name}</span>`}
      <label>Range <select onChange=${(e) => (location.hash = href(route.parts, { ...Object.fromEntries(route.params), days: e.target.value }))}>
        ${RANGES.map((d) => html`<option value=${d} selected=${String(d) === days}>Last ${d} days</option>`)}
      </select></label>
      <button type="button" onClick=${toggleTheme} aria-label="Toggle dark mode">◐</button>
      <${Freshness} slug=${org.slug} />
      <span class="muted">${viewer.me.userId} · ${role}</span>
      <button type="button" onClick=${() => { signOut(); location.hash = '#/signin'; }}>Sign out</button>
    </header>
    <main class="page">${children}</main>`;
}

const saved = localStorage.getItem('agentmon.theme');
if (saved) document.documentElement.dataset.theme = saved;

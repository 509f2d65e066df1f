// The agentmon dashboard: sign-in, then the pages the viewer's role may open.
import { render } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { gql } from './api.js';
import { VIEWER, orgIn } from './viewer.js';
import { takeTokenFromLink, token } from './session.js';
import { currentRoute, href } from './router.js';
import { Layout } from './layout.js';
import { SignIn } from './pages/signin.js';
import { Overview } from './pages/overview.js';
import { Sessions } from './pages/sessions.js';
import { SessionDetail } from './pages/session.js';
import { Users } from './pages/users.js';
import { UserDetail } from './pages/user.js';
import { Fleet, fleetTitle } from './pages/fleet.js';
import { Admin, tabTitle } from './pages/admin.js';
import { Alerts } from './pages/alerts.js';
import { installShortcuts } from './shortcuts.js';
import { ErrorBox, Skeleton } from './parts.js';

/** The route of the page, again whenever the URL's hash changes. */
function useRoute() {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function App() {
  const route = useRoute();
  const [viewer, setViewer] = useState(null);
  const [error, setError] = useState(null);
  const signedIn = Boolean(token());
  // Bumped when an admin page creates or changes an org: names and time zones are read again.
  const [orgsVersion, setOrgsVersion] = useState(0);
  useEffect(() => {
    const again = () => setOrgsVersion((v) => v + 1);
    addEventListener('agentmon:orgs', again);
    return () => removeEventListener('agentmon:orgs', again);
  }, []);

  useLayoutEffect(() => {
    if (!signedIn || route.parts[0] === 'signin') return;
    gql(VIEWER).then(setViewer, setError);
  }, [signedIn, route.parts[0], orgsVersion]);

  const home = viewer?.me.org?.slug ?? viewer?.orgs[0]?.slug;
  const lost = signedIn && viewer && !['global', 'signin'].includes(route.parts[0]) && (route.parts[0] !== 'org' || !route.parts[1]);
  useEffect(() => {
    if (lost && home) location.replace(href(['org', home, 'overview'], { days: 30 }));
  }, [lost, home]);

  // A new page gets its title, and focus moves to it for screen readers and keyboards.
  const path = route.parts.join('/');
  const firstPath = useRef(path);
  useEffect(() => {
    document.title = titleOf(route.parts);
    if (path !== firstPath.current) document.querySelector('main')?.focus();
  }, [path]);

  if (!signedIn || route.parts[0] === 'signin') return html`<${SignIn} reason=${route.params.get('reason')} />`;
  if (error) return html`<main class="page"><${ErrorBox} error=${error} /></main>`;
  if (!viewer) return html`<main class="page"><${Skeleton} lines=${4} /></main>`;

  const [first, slug, page, id] = route.parts;
  if (first === 'global') {
    const org = viewer.orgs.find((o) => o.slug === home) ?? { slug: home, name: home, timezone: 'UTC' };
    const content = viewer.me.role === 'SUPER_ADMIN'
      ? html`<${Fleet} route=${route} viewer=${viewer} />`
      : html`<${ErrorBox} error=${{ code: 'FORBIDDEN', message: 'Only a SUPER_ADMIN sees the fleet.' }} />`;
    return html`<${Layout} viewer=${viewer} org=${org} route=${route}>${content}</${Layout}>`;
  }
  if (lost) {
    if (home) return html`<main class="page"><${Skeleton} lines=${4} /></main>`;
    return html`<main class="page"><p>No org yet. A SUPER_ADMIN creates one with createOrg.</p></main>`;
  }
  const org = orgIn(viewer, slug);
  const pages = {
    overview: () => html`<${Overview} org=${org} route=${route} viewer=${viewer.me} />`,
    sessions: () =>
      id
        ? html`<${SessionDetail} org=${org} id=${id} route=${route} />`
        : html`<${Sessions} org=${org} route=${route} viewer=${viewer.me} />`,
    users: () =>
      id
        ? html`<${UserDetail} org=${org} id=${id} route=${route} />`
        : html`<${Users} org=${org} route=${route} />`,
    admin: () => html`<${Admin} org=${org} route=${route} viewer=${viewer.me} tab=${id} />`,
    alerts: () => html`<${Alerts} org=${org} viewer=${viewer.me} />`,
  };
  const content = (pages[page] ?? pages.overview)();
  return html`<${Layout} viewer=${viewer} org=${org} route=${route}>${content}</${Layout}>`;
}

const PAGE_TITLES = { overview: 'Overview', sessions: 'Sessions', users: 'Users', alerts: 'Alerts' };

function titleOf([first, slug, page, id]) {
  if (first === 'signin') return 'Sign in · agentmon';
  if (first === 'global') return slug ? `Fleet: ${fleetTitle(slug)} · agentmon` : 'Fleet · agentmon';
  if (first !== 'org' || !slug) return 'agentmon';
  if (page === 'admin') return `Admin: ${tabTitle(id)} · ${slug} · agentmon`;
  const name = id ? `${page === 'users' ? 'User' : 'Session'} ${id}` : PAGE_TITLES[page] ?? 'Overview';
  return `${name} · ${slug} · agentmon`;
}

takeTokenFromLink();
installShortcuts();
const root = document.getElementById('app');
root.replaceChildren();
render(html`<${App} />`, root);

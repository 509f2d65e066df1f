// GraphiQL for integrators; its libraries are inside the agentmon binary (no CDN).
// The token comes from a `#token=` link (kept for this browser session, and
// taken out of the address), else from the dashboard's sign-in; it goes in
// the Headers tab: {"Authorization": "Bearer <JWT>"}. Every visit opens one
// tab, with the query last worked on.
(function () {
  const root = document.getElementById('graphiql');
  if (!window.React || !window.ReactDOM || !window.GraphiQL) {
    root.className = 'missing';
    root.textContent =
      'GraphiQL\'s browser files did not load. This agentmon binary was built without them: run `npm ci --prefix web`, rebuild, and restart.';
    return;
  }
  const SESSION_KEY = 'agentmon.graphiql.token';
  const linked = new URLSearchParams(location.hash.slice(1)).get('token');
  if (linked) {
    sessionStorage.setItem(SESSION_KEY, linked);
    history.replaceState(null, '', location.pathname + location.search);
  }
  const token = sessionStorage.getItem(SESSION_KEY) || localStorage.getItem('agentmon.token');
  const headers = JSON.stringify({ Authorization: token ? `Bearer ${token}` : 'Bearer <paste a token from `agentmon token`>' }, null, 2);
  // GraphiQL adds a tab on each load whose query and headers differ from its
  // stored tabs; without stored tabs it opens one, with the last query.
  for (const key of ['graphiql:tabState', 'graphiql:headers']) localStorage.removeItem(key);
  const fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', location.href).toString() });
  const defaultQuery = '# Who am I?\n{\n  me { userId role org { slug name timezone } }\n  orgs { slug name status timezone }\n}\n';
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, { fetcher, defaultQuery, defaultHeaders: headers, shouldPersistHeaders: false, isHeadersEditorEnabled: true }),
  );
})();

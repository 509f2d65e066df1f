// GraphiQL for integrators; its libraries are inside the agentmon binary (no CDN).
// Put your token in the Headers tab: {"Authorization": "Bearer <JWT>"}.
(function () {
  const root = document.getElementById('graphiql');
  if (!window.React || !window.ReactDOM || !window.GraphiQL) {
    root.className = 'missing';
    root.textContent =
      'GraphiQL\'s browser files did not load. This agentmon binary was built without them: run `npm ci --prefix web`, rebuild, and restart.';
    return;
  }
  const token = new URLSearchParams(location.hash.slice(1)).get('token') || localStorage.getItem('agentmon.token');
  const headers = JSON.stringify({ Authorization: token ? `Bearer ${token}` : 'Bearer <paste a token from `agentmon token`>' }, null, 2);
  const fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', location.href).toString() });
  const defaultQuery = '# Who am I?\n{\n  me { userId role org { slug name timezone } }\n  orgs { slug name status timezone }\n}\n';
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, { fetcher, headers, defaultQuery, shouldPersistHeaders: true, isHeadersEditorEnabled: true }),
  );
})();

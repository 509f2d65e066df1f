// GraphiQL for integrators, served from our own node_modules (no CDN).
// Put your token in the Headers tab: {"Authorization": "Bearer <JWT>"}.
(function () {
  const root = document.getElementById('graphiql');
  if (!window.React || !window.ReactDOM || !window.GraphiQL) {
    root.className = 'missing';
    root.textContent =
      'GraphiQL\'s browser files are missing. Run `npm ci --prefix web` next to the agentmon binary, then reload.';
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

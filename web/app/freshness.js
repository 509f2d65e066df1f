// How long ago the newest projected event of the org happened.
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { gql } from './api.js';

function ago(iso) {
  const minutes = Math.round((Date.now() - Date.parse(iso)) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h ago`;
  return `${Math.round(minutes / 1440)} days ago`;
}

export function Freshness({ slug }) {
  const [at, setAt] = useState(undefined);
  useEffect(() => {
    const load = () => gql('query($s: String!) { org(slug: $s) { lastEventAt } }', { s: slug }).then((d) => setAt(d.org.lastEventAt), () => setAt(null));
    load();
    const timer = setInterval(load, 30_000);
    return () => clearInterval(timer);
  }, [slug]);
  if (at === undefined) return null;
  return html`<span class="muted" title=${at ?? ''}>${at ? `Newest event ${ago(at)}` : 'No events yet'}</span>`;
}

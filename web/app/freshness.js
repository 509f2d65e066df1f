// How long ago the newest projected event of the org happened, and, when
// the figures came from a read replica that is behind, by how much.
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
  const [lag, setLag] = useState(0);
  const [, setNow] = useState(Date.now());
  useEffect(() => {
    let current = true;
    setAt(undefined);
    const load = () =>
      gql('query($s: String!) { readLagSeconds org(slug: $s) { lastEventAt } }', { s: slug }).then(
        (d) => {
          if (!current) return;
          setAt(d.org?.lastEventAt ?? null);
          setLag(d.readLagSeconds);
        },
        // One failed poll keeps what was known.
        () => current && setAt((known) => known ?? 'unknown'),
      );
    load();
    const poll = setInterval(load, 30_000);
    // "N min ago" moves on even when the newest event stays the same.
    const tick = setInterval(() => setNow(Date.now()), 15_000);
    return () => {
      current = false;
      clearInterval(poll);
      clearInterval(tick);
    };
  }, [slug]);
  if (at === undefined) return null;
  if (at === 'unknown') return html`<span class="muted">Freshness unknown</span>`;
  // A replica a second or more behind is said; less is the ordinary delay of projection.
  const behind = lag >= 1 ? ` · read from a replica ${Math.round(lag)} s behind` : '';
  return html`<span class="muted" title=${at ?? ''}>${at ? `Newest event ${ago(at)}` : 'No events yet'}${behind}</span>`;
}

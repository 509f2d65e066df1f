// A secret shown once (an API key's, a channel's signing secret): focused
// when it appears, selectable, with a Copy button that falls back to
// selecting it where the browser refuses the clipboard.
import { html } from './html.js';
import { useEffect, useRef, useState } from 'preact/hooks';

/** `id`: the element ids' stem; `title` and `children`: what the panel says; `label`: the field's. */
export function NewSecret({ id, title, label, secret, className = '', onDone, children }) {
  const panel = useRef(null);
  const input = useRef(null);
  const [note, setNote] = useState('');
  useEffect(() => panel.current.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setNote('Copied to the clipboard.');
    } catch {
      input.current.focus();
      input.current.select();
      setNote('This browser did not let the page copy: the secret is selected, press Ctrl+C (⌘C on a Mac).');
    }
  };
  return html`<section class=${`panel ${className}`.trim()} ref=${panel} tabindex="-1" aria-labelledby=${id}>
    <h3 id=${id}>${title}</h3>
    ${children}
    <label for=${`${id}-secret`}>${label}</label>
    <div class="copy">
      <input id=${`${id}-secret`} ref=${input} readonly value=${secret} spellcheck="false" autocomplete="off" onFocus=${(e) => e.target.select()} />
      <button type="button" onClick=${copy}>Copy</button>
    </div>
    <p class="hint" role="status">${note}</p>
    <button type="button" onClick=${onDone}>I have stored it</button>
  </section>`;
}

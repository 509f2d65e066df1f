// A confirmation as a modal <dialog>: focus starts on its safe choice
// (Cancel, or a field to type a confirmation into), Escape or Cancel closes
// it, focus then returns to what opened it. Enter in a field confirms.
// The action runs from the dialog; a refusal is shown there, beside the
// button, and the dialog stays open. While it runs the buttons say so with
// aria-disabled rather than `disabled`, so focus stays where it was.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';

let made = 0;

/**
 * `run()` does the action (a promise); `onClose(done)` is called with true
 * once it succeeded, false when the viewer cancelled. `focusAfter` (a
 * selector) takes focus after success when the opener goes away with it;
 * `focusFirst` (a selector in the dialog) takes it when the dialog opens.
 */
export function Confirm({ title, children, action, run, onClose, danger = false, focusAfter, focusFirst }) {
  const dialog = useRef(null);
  const cancel = useRef(null);
  const done = useRef(false);
  const [id] = useState(() => `confirm-${(made += 1)}`);
  const [state, setState] = useState({ busy: false, error: null });
  useEffect(() => {
    const element = dialog.current;
    const opener = document.activeElement;
    element.showModal();
    ((focusFirst && element.querySelector(focusFirst)) || cancel.current).focus();
    return () => {
      if (element.open) element.close();
      const after = done.current && focusAfter ? document.querySelector(focusAfter) : null;
      (after ?? (opener?.isConnected ? opener : document.querySelector('main')))?.focus();
    };
  }, []);
  const confirm = async () => {
    if (state.busy) return;
    setState({ busy: true, error: null });
    try {
      await run();
    } catch (error) {
      setState({ busy: false, error });
      return;
    }
    done.current = true;
    onClose(true);
  };
  const dismiss = () => state.busy || onClose(false);
  return html`<dialog ref=${dialog} class="confirm" aria-labelledby=${`${id}-title`} aria-describedby=${`${id}-body`}
      onCancel=${(e) => { e.preventDefault(); dismiss(); }}>
    <form onSubmit=${(e) => { e.preventDefault(); confirm(); }}>
      <h2 id=${`${id}-title`}>${title}</h2>
      <div id=${`${id}-body`}>${children}</div>
      ${state.error ? html`<p class="field-error" role="alert">${state.error.message}</p>` : null}
      <div class="actions">
        <button type="button" ref=${cancel} onClick=${dismiss} aria-disabled=${state.busy ? 'true' : undefined}>Cancel</button>
        <button type="submit" class=${danger ? 'danger' : 'primary'} aria-disabled=${state.busy ? 'true' : undefined}>${state.busy ? 'Working…' : action}</button>
      </div>
    </form>
  </dialog>`;
}

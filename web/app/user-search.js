// The User field of a filter: as the viewer types, the org's users whose
// id starts with the text or whose name or email holds it (Org.userSearch,
// MANAGER and up) show below it as an ARIA combobox's listbox: ↓ ↑ move,
// Enter or a click chooses one (its id becomes the filter), Escape closes.
// What is typed and not chosen applies as an exact user id when the field
// is left; a text no user matches says so. A MEMBER gets a plain field.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { gql } from './api.js';

const SEARCH = `query($org: String!, $text: String!) { org(slug: $org) { userSearch(text: $text, first: 10) { id name email } } }`;
/** How long typing pauses before the search runs. */
const PAUSE_MS = 200;

/** Users matching `text` (trimmed), searched PAUSE_MS after it last changed: `{ text, users }`, or null before. */
function useSearch(slug, text, enabled) {
  const [found, setFound] = useState(null);
  useEffect(() => {
    if (!enabled || !text) return undefined;
    let current = true;
    const timer = setTimeout(() => gql(SEARCH, { org: slug, text }).then(
      (d) => current && setFound({ text, users: d.org?.userSearch ?? [] }),
      (error) => current && setFound({ text, users: [], error }),
    ), PAUSE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [slug, text, enabled]);
  return found && found.text === text ? found : null;
}

/** What to say under the field about `text`, or null. */
function noteOf(text, value, found) {
  if (!found || !text) return null;
  if (found.error) return `Suggestions are not available (${found.error.message}).`;
  if (!found.users.length) return `No user matches “${text}”; the list shows sessions of a user id exactly as typed.`;
  if (text === value && !found.users.some((u) => u.id === value)) {
    return `No user has the id “${value}”; choose one of the suggestions to see that user’s sessions.`;
  }
  return null;
}

/** `value`: the user id of the filter; `onChoose(id)` sets it ('' clears it); `search`: suggest users (MANAGER and up). */
export function UserField({ slug, value, onChoose, search }) {
  const [text, setText] = useState(value);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const list = useRef(null);
  useEffect(() => setText(value), [value]);
  const wanted = text.trim();
  const found = useSearch(slug, wanted, search);
  const users = found?.users ?? [];
  const expanded = open && users.length > 0;
  useEffect(() => list.current?.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' }), [active]);

  const commit = (id) => {
    setOpen(false);
    setActive(-1);
    setText(id);
    if (id !== value) onChoose(id);
  };
  if (!search) {
    return html`<label>User <input name="user" value=${value} onChange=${(e) => onChoose(e.target.value.trim())} /></label>`;
  }
  const onKeyDown = (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      setOpen(true);
      if (users.length) setActive((a) => (e.key === 'ArrowDown' ? Math.min(users.length - 1, a + 1) : Math.max(0, a - 1)));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      commit(expanded && active >= 0 ? users[active].id : wanted);
    } else if (e.key === 'Escape' && expanded) {
      e.preventDefault();
      setOpen(false);
      setActive(-1);
    }
  };
  const note = noteOf(wanted, value, found);
  return html`<div class="field user-field">
    <div class="combo"><label for="user-filter">User</label> <span class="combo-input">
      <input id="user-filter" name="user" value=${text} autocomplete="off" placeholder="name, email or id" role="combobox" aria-autocomplete="list"
        aria-expanded=${expanded ? 'true' : 'false'} aria-controls="user-suggestions" aria-describedby=${note ? 'user-note' : undefined}
        aria-activedescendant=${expanded && active >= 0 ? `user-option-${active}` : undefined}
        onInput=${(e) => { setText(e.target.value); setOpen(true); setActive(-1); }} onKeyDown=${onKeyDown}
        onBlur=${() => commit(wanted)} />
      <ul class="suggestions" role="listbox" id="user-suggestions" aria-label="Suggestions" ref=${list} hidden=${!expanded}>
        ${expanded ? users.map((u, i) => html`<li role="option" id=${`user-option-${i}`} key=${u.id} aria-selected=${i === active ? 'true' : 'false'}
          onMouseDown=${(e) => { e.preventDefault(); commit(u.id); }}><span class="name">${u.name ?? u.id}</span> <span class="uid">${u.id}</span></li>`) : null}
      </ul></span></div>
    <p class="field-note" id="user-note" role="status">${note ?? ''}</p>
  </div>`;
}

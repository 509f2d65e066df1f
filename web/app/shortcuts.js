// Keyboard shortcuts: `/` search (the first filter), `j`/`k` rows, `g o`
// overview, `g s` sessions, `g u` users, `g l` alerts, `g a` admin (for who
// sees them), `?` help.
const HELP = [
  ['/', 'focus the first filter'],
  ['j / k', 'next / previous row'],
  ['g o', 'overview'],
  ['g s', 'sessions'],
  ['g u', 'users (or your own page)'],
  ['g l', 'alerts (MANAGER and up)'],
  ['g a', 'admin (ORG_ADMIN, SUPER_ADMIN)'],
  ['?', 'this help'],
];

/** The help as a modal dialog (Escape or the button closes it). */
function showHelp() {
  let dialog = document.getElementById('shortcuts');
  if (!dialog) {
    dialog = Object.assign(document.createElement('dialog'), { id: 'shortcuts' });
    dialog.setAttribute('aria-labelledby', 'shortcuts-title');
    dialog.innerHTML = `<h2 id="shortcuts-title">Keyboard shortcuts</h2><dl></dl><form method="dialog"><button>Close</button></form>`;
    dialog.querySelector('dl').append(
      ...HELP.flatMap(([keys, what]) => [Object.assign(document.createElement('dt'), { textContent: keys }), Object.assign(document.createElement('dd'), { textContent: what })]),
    );
    document.body.append(dialog);
  }
  if (!dialog.open) dialog.showModal();
}

export function installShortcuts() {
  let pending = null;
  addEventListener('keydown', (e) => {
    const active = document.activeElement;
    const typing = ['INPUT', 'TEXTAREA', 'SELECT'].includes(active?.tagName) || active?.isContentEditable;
    if (typing || e.isComposing || e.ctrlKey || e.metaKey || e.altKey || document.querySelector('dialog[open]')) return;
    if (pending) {
      clearTimeout(pending);
      pending = null;
      // The navigation's own links: they carry the range, and only what the role may open.
      const names = { o: ['Overview'], s: ['Sessions'], u: ['Users', 'Me'], l: ['Alerts'], a: ['Admin'] }[e.key] ?? [];
      const link = [...document.querySelectorAll('nav[aria-label="Pages"] a')].find((a) => names.includes(a.textContent.trim()));
      if (link) location.hash = link.getAttribute('href');
      return;
    }
    if (e.key === 'g') pending = setTimeout(() => { pending = null; }, 1500);
    else if (e.key === '/') {
      const input = document.querySelector('main input, main select');
      if (input) {
        e.preventDefault();
        input.focus();
      }
    } else if (e.key === 'j' || e.key === 'k') {
      const links = [...document.querySelectorAll('main tbody tr td:first-child a')];
      if (!links.length) return;
      const at = links.indexOf(active);
      const next = at < 0 ? (e.key === 'j' ? 0 : links.length - 1) : Math.max(0, Math.min(links.length - 1, at + (e.key === 'j' ? 1 : -1)));
      links[next].focus();
    } else if (e.key === '?') showHelp();
  });
}

// Keyboard shortcuts: `/` search (the first filter), `j`/`k` rows, `g o`
// overview, `g s` sessions, `g u` users, `?` help.
const HELP = '/  focus the first filter\nj / k  next / previous row\ng o  overview\ng s  sessions\ng u  users\n?  this help';

export function installShortcuts() {
  let pending = null;
  let row = -1;
  addEventListener('keydown', (e) => {
    const typing = ['INPUT', 'TEXTAREA', 'SELECT'].includes(document.activeElement?.tagName);
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    if (pending === 'g') {
      pending = null;
      const page = { o: 'overview', s: 'sessions', u: 'users' }[e.key];
      const [first, slug] = location.hash.replace(/^#\//, '').split('?')[0].split('/');
      if (page && first === 'org' && slug) location.hash = `#/org/${slug}/${page}${location.hash.includes('?') ? `?${location.hash.split('?')[1]}` : ''}`;
      return;
    }
    if (e.key === 'g') pending = 'g';
    else if (e.key === '/') {
      const input = document.querySelector('main input, main select');
      if (input) { e.preventDefault(); input.focus(); }
    } else if (e.key === 'j' || e.key === 'k') {
      const links = [...document.querySelectorAll('main tbody tr td:first-child a')];
      if (!links.length) return;
      row = Math.max(0, Math.min(links.length - 1, row + (e.key === 'j' ? 1 : -1)));
      links[row].focus();
    } else if (e.key === '?') alert(HELP);
  });
}

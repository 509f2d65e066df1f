// The viewer's token: from a sign-in link (`#token=…`, or `token=` in the
// query of any page's hash), or the sign-in form; kept in localStorage and
// dropped when the server says it is no longer valid.
const KEY = 'agentmon.token';

export function takeTokenFromLink() {
  const hash = location.hash.replace(/^#/, '');
  const [path, query = ''] = hash.startsWith('token=') ? ['/', hash] : hash.split('?');
  const params = new URLSearchParams(query);
  const found = params.get('token');
  if (!found) return;
  // A link never signs someone else in over a signed-in person without asking.
  const current = localStorage.getItem(KEY);
  if (!current || current === found || expired(current) || window.confirm(switchQuestion(current, found))) {
    localStorage.setItem(KEY, found);
  }
  params.delete('token');
  const rest = params.toString() ? `?${params}` : '';
  history.replaceState(null, '', `${location.pathname}${location.search}#${path}${rest}`);
}

/** What a token's payload says (without checking it: the server does), or null. */
function claims(value) {
  try {
    const part = value.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part));
  } catch {
    return null;
  }
}

const expired = (value) => (claims(value)?.exp ?? Infinity) * 1000 <= Date.now();

/** "ada (MANAGER of acme)", as far as the token says. */
function who(value) {
  const c = claims(value);
  if (!c?.sub) return 'someone else';
  return `${c.sub}${c.role ? ` (${c.role}${c.org ? ` of ${c.org}` : ''})` : ''}`;
}

const switchQuestion = (current, found) =>
  `This link signs you in as ${who(found)}. You are signed in as ${who(current)}. Switch to the link's sign-in?`;

export const token = () => localStorage.getItem(KEY);
export const signIn = (value) => localStorage.setItem(KEY, value.trim());
export const validToken = (value) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(value.trim());
export const signOut = () => localStorage.removeItem(KEY);

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
  localStorage.setItem(KEY, found);
  params.delete('token');
  const rest = params.toString() ? `?${params}` : '';
  history.replaceState(null, '', `${location.pathname}${location.search}#${path}${rest}`);
}

export const token = () => localStorage.getItem(KEY);
export const signIn = (value) => localStorage.setItem(KEY, value.trim());
export const validToken = (value) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(value.trim());
export const signOut = () => localStorage.removeItem(KEY);

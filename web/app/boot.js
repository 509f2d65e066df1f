// What a page loads (a small bundle of its own): takes the token from a
// sign-in link, sends the page's first questions, who the viewer is and, on
// an org's overview, its figures, and then runs the dashboard's code, which
// it fetches meanwhile. The page asks the same and gets these answers
// (prefetch.js); a failed answer is reported there.
import { gqlAnswer } from './api.js';
import { askedEarly } from './prefetch.js';
import { takeTokenFromLink, token } from './session.js';
import { currentRoute, teamOf, todayIn } from './router.js';
import { VIEWER, orgIn } from './viewer.js';
import { QUERY, overviewQuestion } from './pages/overview-query.js';

/** The dashboard's code: the module beside this one. */
const MAIN = new URL('./main.js', import.meta.url).href;

/** The longest the dashboard's code waits for the viewer's answer. */
const WAIT_MS = 1_500;

/** Sends `query` now and keeps its answer for the page. */
function ask(query, variables = {}) {
  const answer = gqlAnswer(query, variables);
  askedEarly(query, variables, token(), answer);
  return answer;
}

/** The page's questions, sent; settles once the last one has left. */
async function askFirst() {
  takeTokenFromLink();
  const route = currentRoute();
  if (!token() || route.parts[0] === 'signin') return;
  const viewer = ask(VIEWER);
  const [first, slug, page] = route.parts;
  if (first !== 'org' || !slug || (page && page !== 'overview') || teamOf(route.params)) return;
  // The range is the org's days, read through Intl, whose first date format
  // loads the time zones (about 20 ms): done now, while the viewer's answer
  // is on its way, not after it.
  todayIn();
  // The overview's question needs the org's time zone and the viewer's
  // role. Nothing asked here fails the page: the page asks anew and reports.
  const { data, errors } = await viewer;
  if (errors.length) return;
  ask(QUERY, overviewQuestion(orgIn(data, slug), route, data.me).variables);
}

// The dashboard's code is fetched now, into the browser's cache (its URL is
// versioned and kept for a year), but run only once the questions have
// left: run earlier, its evaluation holds the main thread while the
// viewer's answer waits to send the overview's (40-50 ms of the overview's
// ready time). A slow answer does not hold the page back.
const fetched = fetch(MAIN)
  .then((response) => response.arrayBuffer())
  .catch(() => {});
Promise.race([askFirst(), new Promise((done) => setTimeout(done, WAIT_MS))])
  .catch(() => {})
  .then(() => fetched)
  .finally(() => import(MAIN).catch((error) => {
    const box = document.createElement('div');
    box.className = 'error boot-error';
    box.setAttribute('role', 'alert');
    box.textContent = `The dashboard could not load (${error.message}). Reload the page.`;
    document.getElementById('app')?.replaceChildren(box);
  }));

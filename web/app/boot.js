// Loaded before the dashboard's code (a small bundle of its own): takes the
// token from a sign-in link and sends the page's first questions, who the
// viewer is and, on an org's overview, its figures, so that they are on
// their way while the rest of the code loads. The page asks the same and
// gets these answers (prefetch.js); a failed answer is reported there.
import { gqlAnswer } from './api.js';
import { askedEarly } from './prefetch.js';
import { takeTokenFromLink, token } from './session.js';
import { currentRoute } from './router.js';
import { VIEWER, orgIn } from './viewer.js';
import { QUERY, overviewQuestion } from './pages/overview-query.js';

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
  if (first !== 'org' || !slug || (page && page !== 'overview')) return;
  // The overview's question needs the org's time zone and the viewer's
  // role. Nothing asked here fails the page: the page asks anew and reports.
  const { data, errors } = await viewer;
  if (errors.length) return;
  const { team, variables } = overviewQuestion(orgIn(data, slug), route, data.me);
  if (!team) ask(QUERY, variables);
}

/** The longest the dashboard's code waits for the viewer's answer. */
const WAIT_MS = 1_500;

// The dashboard's code (the module beside this one) is fetched and run once
// the questions have left: run earlier, its evaluation holds the main thread
// while the viewer's answer waits to send the overview's (40-50 ms of the
// overview's ready time). A slow answer does not hold the page back.
Promise.race([askFirst(), new Promise((done) => setTimeout(done, WAIT_MS))])
  .catch(() => {})
  .finally(() => import(new URL('./main.js', import.meta.url).href));

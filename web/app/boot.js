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

takeTokenFromLink();
const route = currentRoute();
if (token() && route.parts[0] !== 'signin') {
  const viewer = ask(VIEWER);
  const [first, slug, page] = route.parts;
  if (first === 'org' && slug && (!page || page === 'overview')) {
    // Nothing asked here fails the page: the page asks anew and reports.
    viewer.then(({ data, errors }) => {
      if (errors.length) return;
      const { team, variables } = overviewQuestion(orgIn(data, slug), route, data.me);
      if (!team) ask(QUERY, variables);
    }).catch(() => {});
  }
}

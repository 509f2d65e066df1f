// Answers asked for early: the boot module sends the page's first
// questions before it runs the dashboard's code, and the page's own
// request for the same question (query, variables and token alike) takes
// that answer instead of asking again. The boot module is a bundle of its
// own, so the answers wait on the window, not in a module. An answer is
// taken once, and only in the page's first seconds: later questions are
// asked anew.
const EARLY = Symbol.for('agentmon.early-answers');
/** After this long from the page's start, nothing asked early is used. */
const FRESH_MS = 10_000;

const keyOf = (query, variables, token) => JSON.stringify([query, variables, token]);

/** Keeps `answer` (a promise of gqlAnswer's result) for the page's own request of `query` with `variables`. */
export function askedEarly(query, variables, token, answer) {
  (globalThis[EARLY] ??= new Map()).set(keyOf(query, variables, token), answer);
  // An early answer that fails is the page's to report when it asks.
  answer.catch(() => {});
}

/** The early answer to `query` with `variables` and `token`, once; undefined if there is none. */
export function earlyAnswer(query, variables, token) {
  const early = globalThis[EARLY];
  if (!early?.size) return undefined;
  if (performance.now() > FRESH_MS) {
    early.clear();
    return undefined;
  }
  const key = keyOf(query, variables, token);
  const answer = early.get(key);
  early.delete(key);
  return answer;
}

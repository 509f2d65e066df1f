// Loading a GraphQL query into a page: the newest variables win (an older
// answer that arrives late is dropped), errors and data reset when the
// variables change, and a reload (live updates) keeps the figures on screen
// until the new ones arrive.
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import { ApiError, gql, subscribe } from './api.js';

/** The org field of an answer; an org the viewer cannot see is an error, not a blank page. */
export function orgOf(data, slug) {
  if (!data.org) throw new ApiError(`There is no org "${slug}", or you may not see it.`, 'NOT_FOUND');
  return data.org;
}

/**
 * Runs `query` with `variables` whenever they change. `pick` turns the
 * answer into what the page shows. Returns `{ data, error, reload }`:
 * `data` is undefined while the first answer for these variables is on its way.
 */
export function useQuery(query, variables, pick = (d) => d) {
  return useLoad(variables, () => gql(query, variables).then(pick));
}

/** Like useQuery, for any loader: `load()` runs again whenever `variables` change. */
export function useLoad(variables, load) {
  const key = JSON.stringify(variables);
  const [state, setState] = useState({ key: null, data: undefined, error: null });
  const [version, setVersion] = useState(0);
  // Started as soon as the page is rendered, not a frame later after paint:
  // each page waits on its query.
  useLayoutEffect(() => {
    let current = true;
    load().then(
      (data) => current && setState({ key, data, error: null }),
      (error) => current && setState((s) => (s.key === key ? { ...s, error } : { key, data: undefined, error })),
    );
    return () => {
      current = false;
    };
  }, [key, version]);
  const mine = state.key === key;
  return { data: mine ? state.data : undefined, error: mine ? state.error : null, reload: () => setVersion((v) => v + 1) };
}

/**
 * Calls `reload` when the subscription reports a change, at most every half
 * second (bursts of events coalesce into one reload).
 */
export function useLiveReload(subscription, variables, reload) {
  const key = JSON.stringify(variables);
  useEffect(() => {
    let timer = null;
    const stop = subscribe(subscription, variables, () => {
      timer ??= setTimeout(() => {
        timer = null;
        reload();
      }, 500);
    });
    return () => {
      clearTimeout(timer);
      stop();
    };
  }, [key]);
}

/** Says that an org was created or changed: the frame reloads the viewer's orgs (names, time zones). */
export const orgsChanged = () => dispatchEvent(new Event('agentmon:orgs'));

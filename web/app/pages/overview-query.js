// What the overview asks the server: its figures for a range and the period
// before it, for the org or one team. Shared by the page and by the boot
// module, which sends the org's question before the dashboard's code has
// loaded (the two must ask exactly the same to share the answer).
import { lengthOf, previous, rangeOf, teamOf } from '../router.js';

/** The Kpis fields of the code cards (overview-code.js). */
const CODE_KPIS = 'linesAdded linesRemoved commits pullRequests costPerPullRequest costPerCommit';
/** The Kpis fields of the model-call, token and cache cards (overview-tokens.js) beyond the overview's own, and the code's. */
export const AGENT_KPIS = `modelCalls failedModelCalls cacheReadTokens cacheCreationTokens cacheHitRate toolCalls ${CODE_KPIS}`;
/** The Kpis fields of the waste cards (overview-waste.js). */
const WASTE_KPIS = 'failedRunCostUsd failedModelCallCostUsd noCodeCostUsd';
const KPIS = `activeUsers sessions runs succeededRuns failedRuns cancelledRuns successRate costUsd estimatedCostUsd unpricedModelCalls costPerSuccessfulRun inputTokens
  outputTokens durationP95Ms localHandoffRate postHandoffIterationRate errorsByCategory { category count } ${AGENT_KPIS} ${WASTE_KPIS}`;
const DAILY = `activeUsers runs succeededRuns failedRuns cancelledRuns successRate costUsd costPerSuccessfulRun inputTokens outputTokens durationP50Ms durationP95Ms
  cacheReadTokens cacheCreationTokens cacheHitRate linesAdded linesRemoved`;
const HOURLY = `at runs succeededRuns failedRuns costUsd`;
const FIGURES = `now: overview(range: $range) { kpis { ${KPIS} } daily { date kpis { ${DAILY} } } hourly @include(if: $hourly) { ${HOURLY} }
    weekly @include(if: $weekly) { from to days activeUsers }
    topUsers(limit: 10) @include(if: $people) { user { id name } sessions runs successRate costUsd totalTokens } }
  before: overview(range: $before) { kpis { ${KPIS} } daily { date kpis { activeUsers sessions runs } } }`;
const VARS = '$range: DateRange!, $before: DateRange!, $people: Boolean!, $hourly: Boolean!, $weekly: Boolean!';
export const QUERY = `query($org: String!, ${VARS}) { org(slug: $org) { ${FIGURES} } }`;
export const TEAM_QUERY = `query($org: String!, $team: ID!, ${VARS}) {
  org(slug: $org) { slug team(id: $team) { id name ${FIGURES} } } }`;

/** The least number of days of a range that shows weeks. */
export const WEEKS_FROM = 14;

/** Whether the overview of `range` draws hours: one or two days. */
const hourlyRange = (range) => lengthOf(range) <= 2;

/**
 * The range of the page and the variables of QUERY (TEAM_QUERY takes
 * `team` too): for `org` (its slug and time zone), the route's range, and
 * whether the viewer (`me`) sees people.
 */
export function overviewQuestion(org, route, me) {
  const range = rangeOf(route.params, org.timezone);
  const variables = { org: org.slug, range, before: previous(range), people: me.role !== 'MEMBER', hourly: hourlyRange(range), weekly: lengthOf(range) >= WEEKS_FROM };
  return { range, team: teamOf(route.params), variables };
}

// What each figure counts, in one line (from docs/metrics.md), for the KPI
// cards' hover and focus; and the denominators behind the rates.
import { count, money, percent } from './format.js';

export const DEFINITIONS = {
  'Active users': 'Distinct users with at least one event on a day of the range.',
  Sessions: 'Sessions that started in the range (a session counts on the day of its first event).',
  Runs: 'Runs that finished in the range: succeeded + failed + cancelled (still running ones are not counted).',
  'Success rate': 'Succeeded runs ÷ (succeeded + failed runs) finished in the range; cancelled runs count on neither side.',
  Cost: 'The cost (USD) spent in the range: every model call on its day, whether its run finished, is still going or there is none; and the cost finished runs reported without calls, on the day they finished.',
  'Of which estimated': 'The part of the cost priced from the model prices: model calls that reported no cost of their own.',
  'Cost per successful run': 'The cost (USD) spent in the range ÷ the runs that succeeded: the cost of failed, cancelled and unfinished runs is included, so it is what each success costs.',
  Tokens: 'Input + output tokens of the range: of every model call on its day, and of finished runs that reported usage without calls.',
  'p95 run duration': '95 % of the runs that finished in the range took this long or less (within 1 %).',
  'Local handoff rate': 'Sessions started in the range that were handed off to LOCAL ÷ sessions started in the range.',
  'Handoff rate': 'Sessions started in the range that were handed off to LOCAL ÷ sessions started in the range.',
  'Iteration after handoff': 'Handed-off sessions with a user message or a new run within 4 h of the handoff ÷ handed-off sessions.',
  'Avg active time': 'The run time (sum of run durations) of the sessions started in the range ÷ those sessions.',
  'Runs per session': 'The runs of the sessions started in the range (running ones included) ÷ those sessions.',
  // Coding agents (model calls and tool calls, docs/agents.md).
  'Model calls': 'Requests the agents sent to a model in the range; failed: those that failed for good, after the agent’s own retries.',
  'Input tokens': 'Input tokens neither read from nor written to a cache: of the model calls in the range, and of finished runs that reported usage without calls.',
  'Output tokens': 'Output tokens (reasoning included): of the model calls in the range, and of finished runs that reported usage without calls.',
  'Cache read': 'Input tokens the models read from a prompt cache, in the range.',
  'Cache written': 'Input tokens written to a prompt cache (cache creation), in the range.',
  'Lines changed': 'Lines the agents added and removed in the range (their CODE_CHANGE events).',
  Commits: 'Commits the agents made in the range (their CODE_CHANGE events).',
  'Pull requests': 'Pull requests the agents opened in the range (their CODE_CHANGE events).',
  'Cost per pull request': 'The cost of the range ÷ its pull requests, every run’s cost counted (not only the runs that opened one).',
  'Cost per commit': 'The cost of the range ÷ its commits, every run’s cost counted.',
  'Cache hit rate': 'Cache-read tokens ÷ all input tokens (input + cache read + cache written); none when all are 0.',
  // Adoption (docs/metrics.md).
  'Members using agents': 'Members (people with a role in the org, not disabled; for a team, its members) with at least one event on a day of the range.',
  'New users': 'Active users of the range whose first event (of the events still kept) is in the range.',
  'Returning users': 'Active users of the range who also had an event before it.',
  // Waste (docs/metrics.md).
  'Spent on failed runs': 'The cost of the runs that ended failed or cancelled, counted on the days it was spent (a run without model calls: the day it ended).',
  'Spent on failed model calls': 'The cost of the model calls that failed for good (after the agent’s own retries), on their day. Overlaps the failed runs’ cost when the call’s run failed too.',
  'Spent without code': 'The cost of the sessions that reported no code change: no line added or removed, no commit, no pull request. A session still going counts until its first change.',
};

/** The columns of the overview's tools table. */
export const TOOL_DEFINITIONS = {
  Calls: 'Calls of the tool in the range, rejected ones included.',
  Failed: 'Calls that ran and did not succeed.',
  Accepted: 'Calls whose permission was granted, when the agent reports it (Codex never does).',
  Rejected: 'Calls whose permission was refused.',
  'Rejection share': 'Rejected ÷ calls: a call that ran without a reported decision was allowed (Codex reports only refusals).',
  'p95 duration': '95 % of the calls with a duration took this long or less (within 1 %).',
};

/** "3 of 120 model calls failed for good (2.5 %). 2 unpriced (counted at $0).", from Kpis. */
export function modelCallsOf({ modelCalls, failedModelCalls, unpricedModelCalls }) {
  if (!modelCalls) return null;
  const unpriced = unpricedModelCalls ? ` ${count(unpricedModelCalls)} unpriced (counted at $0).` : '';
  return `${count(failedModelCalls)} of ${count(modelCalls)} model calls failed for good (${percent(failedModelCalls / modelCalls)}).${unpriced}`;
}

/** "760,000 cache-read of 9,960,000 input tokens.", from Kpis: the cache hit rate’s terms. */
export function cacheHitOf({ inputTokens, cacheReadTokens, cacheCreationTokens }) {
  const all = inputTokens + cacheReadTokens + cacheCreationTokens;
  if (!all) return null;
  return `${count(cacheReadTokens)} cache-read of ${count(all)} input tokens.`;
}

/** "312 of 400 finished runs succeeded", from Kpis (or summed daily Kpis). */
export function successOf({ succeededRuns, failedRuns, cancelledRuns }) {
  if (succeededRuns == null || failedRuns == null) return null;
  const cancelled = cancelledRuns ? ` (${count(cancelledRuns)} cancelled left out)` : '';
  return `${count(succeededRuns)} of ${count(succeededRuns + failedRuns)} finished runs succeeded${cancelled}.`;
}

/** "$107.50 over 312 succeeded runs", from Kpis; says so when none succeeded. */
export function costPerSuccessOf({ costUsd, succeededRuns }) {
  if (succeededRuns == null) return null;
  if (!succeededRuns) return 'No run succeeded in the range: there is no cost per success.';
  return `${money(costUsd)} ÷ ${count(succeededRuns)} succeeded runs.`;
}

/**
 * "Of which estimated $4.20": the part of the cost agentmon priced from the
 * model price table, and the model calls it could not price; null when neither.
 */
export function estimatedOf({ estimatedCostUsd, unpricedModelCalls }) {
  const parts = [];
  if (estimatedCostUsd != null && Number(estimatedCostUsd) > 0) parts.push(`Of which estimated ${money(estimatedCostUsd)} (priced from the model prices).`);
  if (unpricedModelCalls > 0) parts.push(`${count(unpricedModelCalls)} model ${unpricedModelCalls === 1 ? 'call' : 'calls'} unpriced (counted at $0).`);
  return parts.join(' ') || null;
}

/** "40 of 212 sessions handed off": the rate's numerator, rounded back from rate × sessions. */
export function handoffOf(rate, sessions) {
  if (rate == null || !sessions) return null;
  return `${count(Math.round(rate * sessions))} of ${count(sessions)} sessions started in the range were handed off.`;
}

/** "12 of 40 handed-off sessions iterated". */
export function iterationOf(rate, handoffRate, sessions) {
  if (rate == null || handoffRate == null || !sessions) return null;
  const handedOff = Math.round(handoffRate * sessions);
  return `${count(Math.round(rate * handedOff))} of ${count(handedOff)} handed-off sessions iterated after the handoff.`;
}

/** The figures of one session (docs/metrics.md, "A session"). */
export const SESSION_DEFINITIONS = {
  Started: 'The earliest event of the session, of any type.',
  'Last event': 'The latest event of the session.',
  Messages: 'Messages sent in the session, by the user and by the agent.',
  Runs: 'Runs with a start or a finish in this session, running ones included.',
  Cost: 'The sum of the cost (USD) of the session’s finished runs.',
  Tokens: 'Input and output tokens of the session’s finished runs.',
  'Active time': 'The sum of the durations of the session’s finished runs.',
  Handoff: 'local: handed off to LOCAL; iterated: a user message or a new run within 4 h after the handoff.',
};

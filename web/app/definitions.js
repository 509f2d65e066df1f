// What each figure counts, in one line (from docs/metrics.md), for the KPI
// cards' hover and focus; and the denominators behind the rates.
import { count, money } from './format.js';

export const DEFINITIONS = {
  'Active users': 'Distinct users with at least one event on a day of the range.',
  Sessions: 'Sessions that started in the range (a session counts on the day of its first event).',
  Runs: 'Runs that finished in the range: succeeded + failed + cancelled (still running ones are not counted).',
  'Success rate': 'Succeeded runs ÷ (succeeded + failed runs) finished in the range; cancelled runs count on neither side.',
  Cost: 'The sum of the cost (USD) of the runs that finished in the range.',
  'Cost per successful run': 'The cost (USD) of every run that finished in the range ÷ the runs that succeeded: failed and cancelled runs’ cost is included, so it is what each success costs.',
  Tokens: 'Input + output tokens of the runs that finished in the range.',
  'p95 run duration': '95 % of the runs that finished in the range took this long or less (within 1 %).',
  'Local handoff rate': 'Sessions started in the range that were handed off to LOCAL ÷ sessions started in the range.',
  'Handoff rate': 'Sessions started in the range that were handed off to LOCAL ÷ sessions started in the range.',
  'Iteration after handoff': 'Handed-off sessions with a user message or a new run within 4 h of the handoff ÷ handed-off sessions.',
  'Avg active time': 'The run time (sum of run durations) of the sessions started in the range ÷ those sessions.',
  'Runs per session': 'The runs of the sessions started in the range (running ones included) ÷ those sessions.',
};

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

// Alert rules as the dashboard shows them, on the Alerts page, in the
// budget indicator and in the toast: a metric's value in its own unit
// (money, %, a duration, minutes, a count), a rule's state in words beside
// its colour, and its value against its threshold as a bar that reads the
// same way for a ceiling (ABOVE: a budget, with its warning line) and a
// floor (BELOW: a success rate under 80 %).
import { html } from './html.js';
import { count, duration, money, percent } from './format.js';

/** The metrics, in the API's words and the reader's. */
export const METRICS = [
  ['COST_USD', 'Cost'],
  ['RUNS', 'Runs'],
  ['FAILED_RUNS', 'Failed runs'],
  ['SUCCESS_RATE', 'Success rate'],
  ['DURATION_P95_MS', 'p95 run duration'],
  ['FAILED_MODEL_CALLS', 'Failed model calls'],
  ['FAILED_TOOL_CALLS', 'Failed tool calls'],
  ['SILENCE_MINUTES', 'Minutes without events'],
  ['DEAD_LETTERS', 'Dead letters'],
];

/** The windows: name, label, and the phrase for "so far in it". */
export const WINDOWS = [
  ['HOUR', 'Hour', 'this hour'],
  ['DAY', 'Day', 'today'],
  ['WEEK', 'Week (Monday–Sunday)', 'this week'],
  ['MONTH', 'Month', 'this month'],
];

/** The metrics an HOUR window takes (the hourly rollups hold them). */
export const HOURLY = ['COST_USD', 'RUNS', 'FAILED_RUNS', 'SUCCESS_RATE'];

export const metricName = (metric) => METRICS.find(([m]) => m === metric)?.[1] ?? metric;
export const windowName = (window) => WINDOWS.find(([w]) => w === window)?.[1].replace(/ \(.*/, '').toLowerCase() ?? window;
export const windowPhrase = (window) => WINDOWS.find(([w]) => w === window)?.[2] ?? '';

/** The metrics read at the moment, not summed over the window: minutes since the newest event, dead letters now. */
export const INSTANT = ['SILENCE_MINUTES', 'DEAD_LETTERS'];
/** When a rule's value is of: "this month", or "now" for a metric read at the moment. */
const whenOf = (metric, window) => (INSTANT.includes(metric) ? 'now' : windowPhrase(window));

/** Who reads the rules (MANAGER and up) and who changes them (ORG_ADMIN, SUPER_ADMIN); the server checks every request too. */
export const mayReadAlerts = (role) => Boolean(role) && role !== 'MEMBER';
export const mayManageAlerts = (role) => ['ORG_ADMIN', 'SUPER_ADMIN'].includes(role);

/** A value of `metric` in its unit: "$812.40", "84.0 %", "2.5 s", "42 min", "17". */
export function figure(metric, value) {
  if (value == null) return '—';
  switch (metric) {
    case 'COST_USD': return money(value);
    case 'SUCCESS_RATE': return percent(value).replace(' ', NBSP);
    case 'DURATION_P95_MS': return duration(value);
    case 'SILENCE_MINUTES': return `${count(Math.round(value))}${NBSP}min`;
    default: return count(Math.round(value));
  }
}

/** Keeps a number and its unit ("80.0 %") on one line. */
const NBSP = '\u00a0';

/**
 * A share, rounded down to a tenth so a budget short of its line never
 * reads "100.0 %"; rounded to a billionth first, so a ratio that floating
 * point puts a hair under a tenth ($7.81 of $10.00: 0.78099…) is not a
 * tenth short.
 */
const share = (ratio) => `${(Math.floor(Math.round(ratio * 1e9) / 1e6) / 10).toFixed(1)}${NBSP}%`;

/** The scope of a rule in words: the org, "team Platform", "user Ada". */
export const scopeOf = (rule) =>
  rule.team ? `team ${rule.team.name}` : rule.user ? `user ${rule.user.name ?? rule.user.id}` : 'whole org';

/**
 * A rule's value against its threshold in words: "$812.40 of $800.00 this
 * month (101.5 %)" for a ceiling; "84.0 % this week; fires at or below
 * 80.0 %" for a floor; "42 min now; fires at 60 min" for a metric read at
 * the moment (no window, no share). "No value yet" before the first
 * evaluation.
 */
export function measureText(rule) {
  const { metric, value, threshold } = rule;
  const when = whenOf(metric, rule.window);
  const none = INSTANT.includes(metric) ? 'No value yet' : `No value ${when} yet`;
  if (rule.comparison === 'BELOW') {
    return `${value == null ? none : `${figure(metric, value)} ${when}`}; fires at or below ${figure(metric, threshold)}`;
  }
  if (value == null) return `${none}; fires at ${figure(metric, threshold)}`;
  if (INSTANT.includes(metric)) return `${figure(metric, value)} ${when}; fires at ${figure(metric, threshold)}`;
  const part = threshold > 0 ? ` (${share(value / threshold)})` : '';
  return `${figure(metric, value)} of ${figure(metric, threshold)} ${when}${part}`;
}

/**
 * A notification's value against its threshold: "$812.40 of $800.00"; for
 * a floor "74.0 % (at or below 80.0 %)" when it fired, "85.0 % (threshold
 * 80.0 %)" when it resolved.
 */
export function againstText(n) {
  const { metric, comparison } = n.rule;
  if (comparison !== 'BELOW') return `${figure(metric, n.value)} of ${figure(metric, n.threshold)}`;
  return `${figure(metric, n.value)} (${n.state === 'OK' ? 'threshold' : 'at or below'} ${figure(metric, n.threshold)})`;
}

/** The warning line of a budget in words, or null: "Warning from $640.00 (80 %)". */
export function warnText(rule) {
  if (rule.comparison === 'BELOW' || !rule.warnAt) return null;
  return `Warning from ${figure(rule.metric, rule.threshold * rule.warnAt)} (${Math.round(rule.warnAt * 1000) / 10}${NBSP}%)`;
}

/**
 * Where a rule's figures sit on its bar, as fractions of its length: the
 * value (`fill`), the threshold (`line`), the warning line (`warn`), and
 * the zone where the rule fires (`zone`: from, to). A success rate runs
 * from 0 to 100 %; a ceiling from 0 to the larger of its threshold and the
 * value (past the line the fill runs through it); a floor from 0 to twice
 * its threshold (or the value, if larger), its firing zone below the line.
 */
export function barOf({ metric, comparison, threshold, warnAt, value }) {
  const below = comparison === 'BELOW';
  const top = metric === 'SUCCESS_RATE' ? 1 : Math.max(below ? threshold * 2 : threshold, value ?? 0) || 1;
  const at = (v) => Math.min(1, Math.max(0, v / top));
  const line = at(threshold);
  return {
    fill: value == null ? 0 : at(value),
    line,
    warn: !below && warnAt ? at(threshold * warnAt) : null,
    zone: below ? [0, line] : [line, 1],
  };
}

const pct = (fraction) => `${(fraction * 100).toFixed(2)}%`;

const MARKS = { OK: '✓', WARNING: '▲', FIRING: '●' };
const WORDS = { OK: 'OK', WARNING: 'WARNING', FIRING: 'FIRING' };

/** A state in words with its mark; colour only repeats them. `resolved`: an OK notification. */
export const StateBadge = ({ state, resolved = false }) =>
  html`<span class=${`alert-state ${state.toLowerCase()}`}><span aria-hidden="true">${MARKS[state] ?? ''} </span>${resolved && state === 'OK' ? 'resolved' : WORDS[state] ?? state}</span>`;

/**
 * A rule's value against its threshold: the bar (its figures are the text
 * beside it, so the bar itself is hidden from screen readers), the text,
 * and the warning line in words.
 */
export function AlertBar({ rule, compact = false }) {
  const bar = barOf(rule);
  const warn = warnText(rule);
  const state = (rule.state ?? 'OK').toLowerCase();
  return html`<div class=${`alert-measure${compact ? ' compact' : ''}`}>
    <div class=${`alert-bar ${state}${rule.comparison === 'BELOW' ? ' below' : ''}`} aria-hidden="true">
      <span class="zone" style=${{ left: pct(bar.zone[0]), width: pct(bar.zone[1] - bar.zone[0]) }}></span>
      <span class="fill" style=${{ width: pct(bar.fill) }}></span>
      ${bar.warn != null ? html`<span class="mark warn" style=${{ left: pct(bar.warn) }}></span>` : null}
      <span class="mark line" style=${{ left: pct(bar.line) }}></span>
    </div>
    <p class="alert-figures">${measureText(rule)}${warn ? html`<span class="alert-warn">${warn}</span>` : null}</p>
  </div>`;
}

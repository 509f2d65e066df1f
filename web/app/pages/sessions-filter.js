// The sessions list's filter from the URL, with what in the URL is not
// valid by control (said next to it, and not applied); and the same filter
// as the CSV export's parameters.
import { rangeOf, teamOf, timeRange } from '../router.js';

/** Failure categories, in the order of the overview's table. */
export const CATEGORIES = ['TOOL', 'MODEL', 'TIMEOUT', 'OTHER'];
/** Run statuses, as the run status filter offers them. */
export const RUN_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

/** The waste figures, as the sessions behind each: value and label. */
export const WASTES = [
  ['FAILED_RUNS', 'failed or cancelled run'],
  ['FAILED_MODEL_CALLS', 'failed model call'],
  ['NO_CODE', 'no code change'],
];

/** The SessionFilter of the URL, and `problems`: what in the URL is not valid, by control (not applied). */
export function filterOf(params, timeZone) {
  const filter = { range: timeRange(rangeOf(params, timeZone), timeZone) };
  const problems = {};
  if (params.get('user')?.trim()) filter.userId = params.get('user').trim();
  if (teamOf(params)) filter.team = teamOf(params);
  const handedOff = params.get('handedOff');
  if (handedOff === 'true' || handedOff === 'false') filter.handedOff = handedOff === 'true';
  else if (handedOff) problems.handedOff = `“${handedOff}” is neither yes nor no: this filter is not applied.`;
  // Values are taken as they are (a link's may start or end with a space); a key is trimmed, and ends at the first "=".
  const attr = params.get('attr');
  const [key, ...rest] = (attr ?? '').split('=');
  if (attr?.trim() && rest.length && key.trim()) filter.attributes = [{ key: key.trim(), equals: rest.join('=') }];
  else if (attr?.trim()) problems.attr = `Write the attribute as key=value, for example repo=web. “${attr}” is not applied.`;
  const status = params.get('status');
  if (RUN_STATUSES.includes(status)) filter.runStatus = status;
  else if (status) problems.status = `“${status}” is not a run status (${RUN_STATUSES.join(', ')}): this filter is not applied.`;
  const failed = params.get('failed');
  if (CATEGORIES.includes(failed)) filter.errorCategory = failed;
  else if (failed) problems.failed = `“${failed}” is not a failure category (${CATEGORIES.join(', ')}): this filter is not applied.`;
  if (params.get('model')?.trim()) filter.model = params.get('model');
  if (params.get('tool')?.trim()) filter.tool = params.get('tool');
  const waste = params.get('waste');
  if (WASTES.some(([w]) => w === waste)) filter.waste = waste;
  else if (waste) problems.waste = `“${waste}” is not a kind of waste (${WASTES.map(([w]) => w).join(', ')}): this filter is not applied.`;
  return { filter, problems };
}

/** The filter as `/export/sessions.csv` parameters (the export has no team, and lists in its own order). */
export function exportParams(slug, filter) {
  const q = new URLSearchParams({ org: slug, from: filter.range.from, to: filter.range.to });
  if (filter.userId) q.set('userId', filter.userId);
  if (filter.handedOff != null) q.set('handedOff', String(filter.handedOff));
  if (filter.attributes) q.set('attribute', `${filter.attributes[0].key}:${filter.attributes[0].equals}`);
  if (filter.runStatus) q.set('runStatus', filter.runStatus);
  if (filter.errorCategory) q.set('errorCategory', filter.errorCategory);
  if (filter.model) q.set('model', filter.model);
  if (filter.tool) q.set('tool', filter.tool);
  if (filter.waste) q.set('waste', filter.waste);
  return q;
}

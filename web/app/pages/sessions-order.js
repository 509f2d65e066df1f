// The order of the sessions list, kept in the URL (`sort=COST&dir=ASC`) and
// asked of the server (SessionOrder): every field it orders by, said in
// words, a header button per column and a select for phone widths. An
// order in the URL that is not valid says so next to the select and is
// not applied (latest activity first instead).
import { html } from '../html.js';

/** [field, [largest first, smallest first]]: the SessionOrderFields and how each direction reads. */
const FIELDS = [
  ['LAST_ACTIVITY', ['latest activity first', 'earliest activity first']],
  ['STARTED', ['latest start first', 'earliest start first']],
  ['COST', ['highest cost first', 'lowest cost first']],
  ['RUNS', ['most runs first', 'fewest runs first']],
  ['FAILED_RUNS', ['most failed runs first', 'fewest failed runs first']],
  ['MESSAGES', ['most messages first', 'fewest messages first']],
  ['ACTIVE_TIME', ['longest active time first', 'shortest active time first']],
];
const NAMES = FIELDS.map(([field]) => field);
export const DEFAULT_ORDER = { field: 'LAST_ACTIVITY', direction: 'DESC' };

/** The order in words: "highest cost first". */
export const orderText = ({ field, direction }) => FIELDS.find(([f]) => f === field)[1][direction === 'DESC' ? 0 : 1];

/** The SessionOrder of the URL, and `problem`: what in it is not valid (then the default order holds). */
export function orderOf(params) {
  const sort = params.get('sort')?.trim() ?? '';
  const dir = params.get('dir')?.trim() ?? '';
  const field = sort ? sort.toUpperCase() : DEFAULT_ORDER.field;
  const direction = dir ? dir.toUpperCase() : DEFAULT_ORDER.direction;
  if (!NAMES.includes(field)) {
    return { order: DEFAULT_ORDER, problem: `“${sort}” is not an order of this list (${NAMES.join(', ')}): showing ${orderText(DEFAULT_ORDER)}.` };
  }
  if (direction !== 'ASC' && direction !== 'DESC') {
    return { order: DEFAULT_ORDER, problem: `“${dir}” is neither ASC nor DESC: showing ${orderText(DEFAULT_ORDER)}.` };
  }
  return { order: { field, direction }, problem: null };
}

/** The URL parameters of an order. */
export const orderParams = ({ field, direction }) => ({ sort: field, dir: direction });

/**
 * A column header whose buttons order the list: `sorts` as [field, label],
 * one per line (the cell below says them in the same order). The field the
 * list is ordered by turns its direction around; another starts largest
 * (latest) first. `aria-sort` on the column the list is ordered by.
 */
export function SortHeader({ sorts, order, onSort, num = false }) {
  const active = sorts.some(([field]) => field === order.field);
  const button = ([field, label], i) => {
    const on = order.field === field;
    const next = { field, direction: on && order.direction === 'DESC' ? 'ASC' : 'DESC' };
    return html`<button type="button" class=${`sort-button${on ? ' active' : ''}${i ? ' second' : ''}`} title=${`Show ${orderText(next)}`}
      onClick=${() => onSort(next)}>${label}<span class="sort-arrow" aria-hidden="true">${on ? (order.direction === 'DESC' ? '▼' : '▲') : '↕'}</span></button>`;
  };
  return html`<th scope="col" class=${num ? 'num' : undefined} aria-sort=${active ? (order.direction === 'DESC' ? 'descending' : 'ascending') : undefined}>${sorts.map(button)}</th>`;
}

/** The order as one select (phone widths, where the headers are hidden; and wherever the URL's order is not valid). */
export function SortSelect({ order, problem, raw, onSort }) {
  const value = `${order.field}:${order.direction}`;
  return html`<select name="sort" onChange=${(e) => {
    const [field, direction] = e.target.value.split(':');
    onSort({ field, direction });
  }} ...${problem ? { 'aria-invalid': 'true', 'aria-describedby': 'sort-error' } : {}}>
    ${FIELDS.flatMap(([field, words]) => ['DESC', 'ASC'].map((direction, i) => {
      const option = `${field}:${direction}`;
      return html`<option value=${option} selected=${!problem && option === value}>${words[i][0].toUpperCase()}${words[i].slice(1)}</option>`;
    }))}
    ${problem ? html`<option value=${value} selected>${raw} (not valid)</option>` : null}
  </select>`;
}

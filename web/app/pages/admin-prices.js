// Model prices (modelPrices, setModelPrice, deleteModelPrice): what agentmon
// prices the calls of agents that report no cost with. On an org's settings
// page (ORG_ADMIN, SUPER_ADMIN): the org's own prices and the platform's it
// inherits, which only a SUPER_ADMIN changes, on the Fleet's Prices tab.
// The form checks each field beside it as the server does; a refusal of the
// server shows beside the field it names. Every change queues a job that
// re-prices the calls, followed here until it ends.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { orgOf, useLoad, useQuery } from '../query.js';
import { href, nowIn, rangeOf, zonedInstant } from '../router.js';
import { Confirm } from '../confirm.js';
import { ProgressBar, useJob } from '../jobs.js';
import { Empty, pending, StaleNote } from '../parts.js';
import { byName, exactMoney, when, whenShort } from '../format.js';
import { compare } from '../decimal.js';

const FIELDS = 'id org model validFrom inputUsdPerMTok outputUsdPerMTok cacheReadUsdPerMTok cacheCreationUsdPerMTok';
const LIST = `query($org: String) { modelPrices(org: $org) { ${FIELDS} } }`;
const SET = `mutation($org: String, $price: ModelPriceInput!) { setModelPrice(org: $org, price: $price) { ${FIELDS} } }`;
const DELETE = 'mutation($id: ID!) { deleteModelPrice(id: $id) }';
// The models the org's runs used lately, offered as the model field's suggestions.
const MODELS = `query($org: String!, $range: DateRange!) { org(slug: $org) { overview(range: $range) { breakdown(by: MODEL, top: 50) { rows { value } } } } }`;
// The job a change queued is named in its audit entry.
const ORG_AUDIT = 'query($org: String!) { org(slug: $org) { auditLog(first: 20) { edges { node { action org detail } } } } }';
const PLATFORM_AUDIT = '{ auditLog(first: 20) { edges { node { action org detail } } } }';

/** The four prices of a model: field, label, whether the server requires it. */
const PRICES = [
  ['inputUsdPerMTok', 'Input', true],
  ['outputUsdPerMTok', 'Output', true],
  ['cacheReadUsdPerMTok', 'Cache read', false],
  ['cacheCreationUsdPerMTok', 'Cache creation', false],
];
const MAX_PRICE = '1000000';
const MAX_MODEL = 256;

/** What is wrong with a model pattern (as the server checks it), or null. */
export function modelProblem(text) {
  const model = text.trim();
  const length = [...model].length;
  if (!model) return 'Enter a model name (gpt-5.1-codex) or a prefix ending in * (gpt-5*).';
  if (length > MAX_MODEL) return `At most ${MAX_MODEL} characters: this one has ${length}.`;
  if (model === '*') return 'A * alone would price every model: put the start of the names before it, as in gpt-*.';
  const stars = model.split('*').length - 1;
  if (stars > 1 || (stars === 1 && !model.endsWith('*'))) return 'A * may only end the name, once: gpt-5* prices every model whose name starts with gpt-5.';
  return null;
}

/** What is wrong with a price in US dollars per million tokens (as the server checks it), or null. */
export function priceProblem(text, required) {
  const price = text.trim();
  if (!price) return required ? 'Enter a price, such as 3 or 0.30 (0 when free).' : null;
  if (price.startsWith('-')) return 'A price cannot be negative.';
  if (/^\d*,\d+$/.test(price)) return `Use a point for decimals: ${price.replace(',', '.')}.`;
  if (!/^(\d+\.?\d*|\.\d+)$/.test(price)) return 'Enter digits with at most one decimal point, such as 3 or 0.30: no sign, currency or exponent.';
  if ((price.split('.')[1] ?? '').length > 9) return 'At most 9 decimals.';
  if (compare(price, MAX_PRICE) > 0) return 'At most 1,000,000 dollars per million tokens.';
  return null;
}

/** What is wrong with a "valid from" (a datetime-local value), or null. */
function validFromProblem(text, timeZone) {
  if (!text) return 'Enter the date and time the price starts.';
  return zonedInstant(text, timeZone) ? null : 'Enter a whole date and time.';
}

/** A checked price as the API takes it: "5." is "5", ".5" is "0.5"; an empty optional price is left out (0). */
const decimalOf = (text) => (text.trim() ? text.trim().replace(/\.$/, '').replace(/^\./, '0.') : null);

/** Whether the org's pattern `mine` prices every model the platform's `theirs` does. */
function covers(mine, theirs) {
  if (!mine.endsWith('*')) return mine === theirs;
  return theirs.replace(/\*$/, '').startsWith(mine.slice(0, -1));
}

/**
 * What each price does now: in effect, starting later, replaced by a later
 * price of the same model, or (a platform price) overridden by the org's.
 */
function statusOf(prices, now) {
  const status = new Map();
  const groups = new Map();
  for (const p of prices) {
    const key = `${p.org ?? ''}\u0000${p.model}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const inEffect = [];
  for (const group of groups.values()) {
    const sorted = [...group].sort((a, b) => Date.parse(a.validFrom) - Date.parse(b.validFrom));
    const current = sorted.filter((p) => Date.parse(p.validFrom) <= now).at(-1);
    sorted.forEach((p, i) => {
      if (p === current) {
        status.set(p.id, { text: 'In effect', tone: 'good' });
        inEffect.push(p);
      } else if (Date.parse(p.validFrom) > now) status.set(p.id, { text: 'Not yet in effect', tone: '' });
      else status.set(p.id, { text: 'Replaced', tone: 'muted', by: sorted[i + 1] });
    });
  }
  const own = inEffect.filter((p) => p.org);
  for (const p of inEffect) {
    const mine = !p.org && own.find((o) => covers(o.model, p.model));
    if (mine) status.set(p.id, { text: `Overridden by the org’s ${mine.model}`, tone: 'muted' });
  }
  return status;
}

/** The order of the table: by model, the org's before the platform's, the newest first. */
const ordered = (prices) => [...prices].sort((a, b) => byName(a.model, b.model) || (a.org ? 0 : 1) - (b.org ? 0 : 1) || Date.parse(b.validFrom) - Date.parse(a.validFrom));

/**
 * The prices section. `org` null: the platform's defaults (Fleet, SUPER_ADMIN);
 * else the org's prices and those it inherits. `role`: the viewer's.
 */
export function ModelPrices({ org, role, headingLevel = 3 }) {
  const slug = org?.slug ?? null;
  const timeZone = org?.timezone ?? 'UTC';
  const result = useQuery(LIST, { org: slug }, (d) => d.modelPrices);
  const [deleting, setDeleting] = useState(null);
  const [note, setNote] = useState(null);
  const H = `h${headingLevel}`;
  const heading = html`<${H} id="model-prices" tabindex="-1">${org ? 'Model prices' : 'Platform model prices'}</${H}>`;
  const waiting = pending(result, heading, 3);
  if (waiting) return html`<section aria-labelledby="model-prices">${waiting}</section>`;
  const prices = ordered(result.data);
  const status = statusOf(prices, Date.now());
  const superAdmin = role === 'SUPER_ADMIN';
  const inherited = prices.some((p) => !p.org);
  const scope = org ? `${org.name}’s` : 'every org’s';
  const changed = (next) => {
    setNote(next);
    result.reload();
  };
  return html`<section aria-labelledby="model-prices" class="prices">
    ${heading}
    <p class="hint">Agents that report no cost (Codex, Copilot and other OpenTelemetry GenAI sources) are priced from ${org ? 'these prices' : 'these defaults, which every org inherits'},
      in US dollars per million tokens. Claude Code reports its cost: it is kept as reported.</p>
    <ul class="hint rules">
      <li>The price valid at the call’s time is used.</li>
      <li>An org’s own price beats the platform’s; an exact model name beats a prefix (<code>gpt-*</code>), a longer prefix a shorter one.</li>
      <li>A call with neither a reported cost nor a price counts $0: the overview’s Cost says how much is estimated and how many calls are unpriced.</li>
    </ul>
    ${org && inherited
      ? html`<p class="hint">Platform defaults are inherited: ${superAdmin
        ? html`change them on the <a href=${href(['global', 'prices'])}>Fleet’s Prices</a> tab`
        : 'a SUPER_ADMIN changes them'}; add the org’s own price for a model to override one.</p>`
      : null}
    <${StaleNote} error=${result.error} />
    ${prices.length === 0
      ? html`<${Empty}>No price yet: calls of agents that report no cost count $0 and show as unpriced.</${Empty}>`
      : html`<table class="stack prices-table">
        <caption>US dollars per million tokens; times in ${timeZone}</caption>
        <thead><tr><th scope="col">Model</th><th scope="col">Valid from</th>
          ${PRICES.map(([, label]) => html`<th scope="col" class="num">${label}</th>`)}
          ${org ? html`<th scope="col">Set by</th>` : null}<th scope="col">Status</th>
          <th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${prices.map((p) => html`<${Row} key=${p.id} price=${p} status=${status.get(p.id)} org=${org} timeZone=${timeZone}
          onDelete=${() => setDeleting(p)} />`)}</tbody></table>`}
    ${deleting
      ? html`<${Confirm} title=${`Delete the price of ${deleting.model}?`} action="Delete price" danger focusAfter="#model-prices"
          run=${() => gql(DELETE, { id: deleting.id })}
          onClose=${(done) => { const gone = deleting; setDeleting(null); if (done) changed({ action: 'MODEL_PRICE_DELETED', price: gone }); }}>
          <p>The price valid from ${when(deleting.validFrom, timeZone)} (${timeZone}) goes. Calls from then on are priced by the price in effect before it, ${deleting.org
            ? 'else the platform’s default, ' : ''}else not at all (counted at $0). A background job re-prices ${scope} calls.</p>
        </${Confirm}>`
      : null}
    <${AddPrice} org=${org} timeZone=${timeZone} prices=${result.data} headingLevel=${headingLevel + 1}
      onSaved=${(price) => changed({ action: 'MODEL_PRICE_SET', price })} onEdit=${() => note && setNote(null)} />
    <div class="form-note" role="status">${note ? html`<${Changed} org=${org} timeZone=${timeZone} ...${note} />` : null}</div>
  </section>`;
}

function Row({ price: p, status, org, timeZone, onDelete }) {
  const own = Boolean(p.org) || !org;
  const whenText = `${when(p.validFrom, timeZone)} (${timeZone})`;
  return html`<tr class=${own ? undefined : 'inherited'}>
    <th scope="row" data-label="Model" class="wide"><code>${p.model}</code>${p.model.endsWith('*') ? html` <span class="muted">prefix</span>` : null}</th>
    <td data-label="Valid from" class="from"><time datetime=${p.validFrom} title=${whenText}>${whenShort(p.validFrom, timeZone)}</time></td>
    ${PRICES.map(([field, label]) => html`<td class="num" data-label=${label}>${exactMoney(p[field])}</td>`)}
    ${org ? html`<td data-label="Set by" class="by">${p.org ? 'This org' : html`<span class="badge inherited-badge">Platform default</span>`}</td>` : null}
    <td data-label="Status" class=${['status-cell', status?.tone].filter(Boolean).join(' ')}>${status?.text}${status?.by
      ? html` <span class="muted">on ${whenShort(status.by.validFrom, timeZone)}</span>` : null}</td>
    <td class="wide act">${own
      ? html`<button type="button" class="danger" onClick=${onDelete}>Delete<span class="visually-hidden"> the price of ${p.model} from ${whenText}</span></button>`
      : null}</td></tr>`;
}

const EMPTY = { model: '', inputUsdPerMTok: '', outputUsdPerMTok: '', cacheReadUsdPerMTok: '', cacheCreationUsdPerMTok: '' };
const FIELD_NAMES = ['model', 'validFrom', ...PRICES.map(([field]) => field)];

/** The form that adds (or replaces) a price; each field's problem shows beside it once edited or on submit. */
function AddPrice({ org, timeZone, prices, headingLevel, onSaved, onEdit }) {
  const blank = () => ({ ...EMPTY, validFrom: nowIn(timeZone) });
  const [values, setValues] = useState(blank);
  const [shown, setShown] = useState({});
  const [state, setState] = useState({ busy: false, error: null, field: null });
  const range = rangeOf(new URLSearchParams('days=90'), timeZone);
  const models = useLoad({ org: org?.slug, range }, () => (org
    ? gql(MODELS, { org: org.slug, range }).then((d) => orgOf(d, org.slug).overview.breakdown.rows)
    : Promise.resolve([])));
  const problems = {
    model: modelProblem(values.model),
    validFrom: validFromProblem(values.validFrom, timeZone),
    ...Object.fromEntries(PRICES.map(([field, , required]) => [field, priceProblem(values[field], required)])),
  };
  const problem = (name) => (state.field === name ? state.error.message : shown[name] ? problems[name] : null);
  const edit = (name, value) => {
    setValues({ ...values, [name]: value });
    if (state.field === name || (state.error && !state.field)) setState({ busy: false, error: null, field: null });
    onEdit();
  };
  // A price for the same model from the same moment is replaced.
  const at = zonedInstant(values.validFrom, timeZone);
  const replaces = prices.find((p) => (p.org ?? null) === (org?.slug ?? null) && p.model === values.model.trim() && at && Date.parse(p.validFrom) === Date.parse(at));
  const submit = (e) => {
    e.preventDefault();
    if (state.busy) return;
    const invalid = FIELD_NAMES.filter((name) => problems[name]);
    if (invalid.length) {
      setShown(Object.fromEntries(FIELD_NAMES.map((name) => [name, true])));
      setState({ busy: false, error: null, field: null });
      e.target.elements[invalid[0]].focus();
      return;
    }
    const price = { model: values.model.trim(), validFrom: at, ...Object.fromEntries(PRICES.map(([field]) => [field, decimalOf(values[field])])) };
    setState({ busy: true, error: null, field: null });
    const form = e.target;
    gql(SET, { org: org?.slug ?? null, price }).then(
      (d) => {
        setValues(blank());
        setShown({});
        setState({ busy: false, error: null, field: null });
        onSaved(d.setModelPrice);
      },
      (error) => {
        // The server names the field it refuses: its message goes beside that field.
        const named = error.code === 'BAD_USER_INPUT' ? FIELD_NAMES.find((name) => new RegExp(`^${name}\\b`).test(error.message)) : null;
        setState({ busy: false, error, field: named ?? null });
        if (named) form.elements[named].focus();
      },
    );
  };
  const hintOf = (name) => (name.startsWith('cache') ? 'price-cache-hint' : `price-${name}-hint`);
  const describedBy = (name, hint) => [problem(name) ? `price-${name}-error` : null, hint ? hintOf(name) : null].filter(Boolean).join(' ') || undefined;
  const error = (name) => (problem(name) ? html`<p class="field-error" id=${`price-${name}-error`} role="alert">${problem(name)}</p>` : null);
  const input = (name, attrs = {}) => html`<input id=${`price-${name}`} name=${name} value=${values[name]} autocomplete="off"
    onInput=${(e) => edit(name, e.target.value)} onChange=${() => setShown((s) => ({ ...s, [name]: true }))}
    aria-invalid=${problem(name) ? 'true' : undefined} aria-describedby=${describedBy(name, attrs.hint)} ...${{ ...attrs, hint: undefined }} />`;
  const H = `h${headingLevel}`;
  const suggestions = (models?.data ?? []).map((r) => r.value).filter((v) => v !== '(none)');
  return html`<form class="price-form" aria-labelledby="add-price" onSubmit=${submit} noValidate>
    <${H} id="add-price">Add a price</${H}>
    <div class="price-fields">
      <div class="field model">
        <label for="price-model">Model</label>
        ${input('model', { hint: true, placeholder: 'gpt-5* or gpt-5.1-codex', spellcheck: 'false', list: suggestions.length ? 'price-models' : undefined })}
        ${error('model')}
        <p class="hint" id="price-model-hint">An exact model name, or a prefix ending in <code>*</code>.</p>
        ${suggestions.length ? html`<datalist id="price-models">${suggestions.map((m) => html`<option value=${m} />`)}</datalist>` : null}
      </div>
      <div class="field valid-from">
        <label for="price-validFrom">Valid from <span class="muted">(${timeZone})</span></label>
        ${input('validFrom', { type: 'datetime-local', hint: true, required: true })}
        ${error('validFrom')}
        <p class="hint" id="price-validFrom-hint">${replaces
          ? html`<strong>This replaces the price of ${replaces.model} from that moment.</strong>`
          : 'Calls from then on use it. Pick an earlier moment to price past calls too.'}</p>
      </div>
      <fieldset class="amounts">
        <legend>US dollars per million tokens</legend>
        ${PRICES.map(([field, label, required]) => html`<div class="field">
          <label for=${`price-${field}`}>${label}</label>
          ${input(field, { inputmode: 'decimal', placeholder: required ? undefined : '0', hint: !required })}
          ${error(field)}</div>`)}
        <p class="hint" id="price-cache-hint">Input and output are required; a cache price left empty is 0.</p>
      </fieldset>
    </div>
    <div class="controls">
      <button type="submit" class="primary" aria-disabled=${state.busy ? 'true' : undefined}>${state.busy ? 'Saving…' : replaces ? 'Replace price' : 'Add price'}</button>
      ${state.error && !state.field ? html`<span class="field-error" role="alert">${state.error.message}</span>` : null}
    </div>
  </form>`;
}

/** What a change did, and the job re-pricing the calls, followed until it ends. */
function Changed({ org, timeZone, action, price }) {
  const query = org ? ORG_AUDIT : PLATFORM_AUDIT;
  const audit = useQuery(query, { org: org?.slug, id: price.id, action }, (d) => (org ? orgOf(d, org.slug) : d).auditLog.edges.map((e) => e.node));
  const entry = audit.data?.find((a) => a.action === action && (a.org ?? null) === (org?.slug ?? null)
    && a.detail?.model === price.model && Date.parse(a.detail?.validFrom) === Date.parse(price.validFrom));
  const what = `${price.model} from ${when(price.validFrom, timeZone)} (${timeZone})`;
  const whose = org ? `${org.name}’s calls` : 'the calls of every org';
  const done = action === 'MODEL_PRICE_SET' ? `Saved the price of ${what}.` : `Deleted the price of ${what}.`;
  return html`<p class="good">${done} A background job is re-pricing ${whose} that report no cost: estimated costs change as it goes.</p>
    ${entry?.detail?.job ? html`<${Job} id=${entry.detail.job} whose=${whose} />` : null}`;
}

function Job({ id, whose }) {
  const { job } = useJob(id);
  if (!job) return null;
  if (job.status === 'SUCCEEDED') return html`<p class="good">The job has finished: ${whose} are priced by the table as it now is.</p>`;
  if (job.status === 'FAILED') return html`<p class="field-error">The re-pricing job failed${job.error ? `: ${job.error}` : ''}. Save the price again to retry.</p>`;
  return html`<${ProgressBar} job=${job} label=${`Re-pricing ${whose}`} />`;
}

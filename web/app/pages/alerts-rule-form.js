// The form that creates or edits an alert rule (ORG_ADMIN, SUPER_ADMIN):
// name, metric, window, comparison, threshold in the metric's own unit (a
// success rate and the warning line in %, a duration in seconds), scope (the
// org, a team, a user found by name), channels and whether it is enabled.
// Beside the threshold: the scope's value now for that metric and window
// (Org.alertValue; when editing on a server without it, the rule's own
// value). What the server refuses shows beside the field it names, or
// under the form.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { orgOf, useLoad, useQuery } from '../query.js';
import { UserField } from '../user-search.js';
import { byName, whenShort } from '../format.js';
import { figure, HOURLY, INSTANT, METRICS, WINDOWS, windowPhrase } from '../alert-parts.js';

const CHOICES = `query($org: String!) { org(slug: $org) { teams { id name } alertChannels { id name kind target } } }`;
const VALUE = `query($org: String!, $metric: AlertMetric!, $window: AlertWindow!, $teamId: ID, $userId: String) { org(slug: $org) {
  alertValue(metric: $metric, window: $window, teamId: $teamId, userId: $userId) { value windowStart windowEnd } } }`;

/** The threshold's unit on the form: its label, and how a typed number becomes the API's and back. */
const UNITS = {
  COST_USD: { label: 'US dollars', toApi: (n) => n, fromApi: (n) => n },
  SUCCESS_RATE: { label: '%', toApi: (n) => n / 100, fromApi: (n) => Math.round(n * 100_000) / 1000 },
  DURATION_P95_MS: { label: 'seconds', toApi: (n) => n * 1000, fromApi: (n) => n / 1000 },
  SILENCE_MINUTES: { label: 'minutes', toApi: (n) => n, fromApi: (n) => n },
};
const unitOf = (metric) => UNITS[metric] ?? { label: 'count', toApi: (n) => n, fromApi: (n) => n };

/** The form's fields for `rule` (null: a new rule, a monthly budget on the org's cost). */
function draftOf(rule) {
  if (!rule) {
    return { name: '', metric: 'COST_USD', window: 'MONTH', comparison: 'ABOVE', threshold: '', warnAt: '80', scope: 'org', teamId: '', userId: '', channelIds: [], enabled: true };
  }
  return {
    name: rule.name, metric: rule.metric, window: rule.window, comparison: rule.comparison,
    threshold: String(unitOf(rule.metric).fromApi(rule.threshold)),
    warnAt: rule.warnAt ? String(Math.round(rule.warnAt * 1000) / 10) : '',
    scope: rule.team ? 'team' : rule.user ? 'user' : 'org', teamId: rule.team?.id ?? '', userId: rule.user?.id ?? '',
    channelIds: rule.channels.map((c) => c.id), enabled: rule.enabled,
  };
}

/** The field a refusal of the server is about, by its wording. */
function fieldOf(message) {
  if (/^name|name:/i.test(message)) return 'name';
  if (/threshold must|SUCCESS_RATE threshold/i.test(message)) return 'threshold';
  if (/^warnAt/i.test(message)) return 'warnAt';
  if (/HOUR window/i.test(message)) return 'window';
  if (/teamId|userId|not both|DEAD_LETTERS|no user|no team/i.test(message)) return 'scope';
  if (/channel/i.test(message)) return 'channels';
  return null;
}

/** The fields that change with the metric: the threshold is in its unit; dead letters are the org's; an hour takes only some metrics. */
function metricChange(d, metric) {
  const changes = { metric, threshold: '' };
  if (metric === 'DEAD_LETTERS') changes.scope = 'org';
  if (d.window === 'HOUR' && !HOURLY.includes(metric)) changes.window = 'DAY';
  return changes;
}

/** What is wrong with the typed fields before asking the server, or null. */
function problemOf(d) {
  const threshold = Number(d.threshold);
  if (d.threshold.trim() === '' || !Number.isFinite(threshold)) return { field: 'threshold', message: 'Enter the threshold, a number.' };
  if (threshold < 0) return { field: 'threshold', message: 'The threshold cannot be negative.' };
  if (d.metric === 'SUCCESS_RATE' && threshold > 100) return { field: 'threshold', message: 'A success rate is at most 100 %.' };
  if (d.comparison === 'ABOVE' && d.warnAt.trim() !== '') {
    const warn = Number(d.warnAt);
    if (!(warn > 0 && warn < 100)) return { field: 'warnAt', message: 'The warning line is a share of the threshold above 0 and below 100 %, such as 80.' };
  }
  if (d.scope === 'team' && !d.teamId) return { field: 'scope', message: 'Choose the team.' };
  if (d.scope === 'user' && !d.userId) return { field: 'scope', message: 'Choose the user.' };
  return null;
}

/** The rule as the API takes it. */
const inputOf = (d) => ({
  name: d.name.trim(), metric: d.metric, window: d.window, comparison: d.comparison,
  threshold: unitOf(d.metric).toApi(Number(d.threshold)),
  warnAt: d.comparison === 'ABOVE' && d.warnAt.trim() !== '' ? Number(d.warnAt) / 100 : null,
  teamId: d.scope === 'team' ? d.teamId : null, userId: d.scope === 'user' ? d.userId : null,
  channelIds: d.channelIds, enabled: d.enabled,
});

/** `rule`: the rule edited (null to create one); `onDone(saved)` with the saved rule, or null when cancelled. */
export function RuleForm({ org, rule, fields, onDone }) {
  const panel = useRef(null);
  const [d, setD] = useState(() => draftOf(rule));
  const [state, setState] = useState({ busy: false, problem: null });
  const choices = useQuery(CHOICES, { org: org.slug }, (data) => orgOf(data, org.slug));
  useEffect(() => panel.current.focus(), []);
  const set = (changes) => { setD((old) => ({ ...old, ...changes })); setState((s) => ({ ...s, problem: null })); };
  const submit = (e) => {
    e.preventDefault();
    if (state.busy) return;
    const problem = problemOf(d);
    if (problem) {
      setState({ busy: false, problem });
      (document.getElementById(`rule-${problem.field}`) ?? document.getElementById('user-filter'))?.focus();
      return;
    }
    setState({ busy: true, problem: null });
    const save = rule
      ? gql(`mutation($id: ID!, $rule: AlertRuleInput!) { updateAlertRule(id: $id, rule: $rule) { ${fields} } }`, { id: rule.id, rule: inputOf(d) }).then((r) => r.updateAlertRule)
      : gql(`mutation($org: String!, $rule: AlertRuleInput!) { createAlertRule(org: $org, rule: $rule) { ${fields} } }`, { org: org.slug, rule: inputOf(d) }).then((r) => r.createAlertRule);
    save.then(onDone, (error) => setState({ busy: false, problem: { field: fieldOf(error.message), message: error.message } }));
  };
  const problem = state.problem;
  const invalid = (field) => (problem?.field === field ? { 'aria-invalid': 'true', 'aria-describedby': 'rule-problem' } : {});
  const here = (field) => (problem && problem.field === field ? html`<p class="field-error" id="rule-problem" role="alert">${problem.message}</p>` : null);
  const teams = [...(choices.data?.teams ?? [])].sort((a, b) => byName(a.name, b.name));
  const channels = choices.data?.alertChannels ?? [];
  const unit = unitOf(d.metric);
  const hourly = HOURLY.includes(d.metric) && d.scope !== 'user';
  const orgOnly = d.metric === 'DEAD_LETTERS';
  return html`<section class="panel rule-form" ref=${panel} tabindex="-1" aria-labelledby="rule-form-title">
    <h3 id="rule-form-title">${rule ? `Edit the rule “${rule.name}”` : 'New rule'}</h3>
    <form onSubmit=${submit} novalidate>
      <div class="rule-fields">
        <label class="span">Name <input id="rule-name" name="name" value=${d.name} autocomplete="off" placeholder="Monthly budget" required
          onInput=${(e) => set({ name: e.target.value })} ...${invalid('name')} /></label>
        ${here('name')}
        <label>Metric <select id="rule-metric" name="metric" onChange=${(e) => set(metricChange(d, e.target.value))}>
          ${METRICS.map(([m, label]) => html`<option value=${m} selected=${m === d.metric}>${label}</option>`)}</select></label>
        <label>Window <select id="rule-window" name="window" onChange=${(e) => set({ window: e.target.value })} ...${invalid('window')}>
          ${WINDOWS.map(([w, label]) => html`<option value=${w} selected=${w === d.window} disabled=${w === 'HOUR' && !hourly}>${label}${w === 'HOUR' && !hourly ? ' (not for this metric or a user)' : ''}</option>`)}</select></label>
        ${here('window')}
        <div class="field span">
          <label>Fires when the value is <select id="rule-comparison" name="comparison" aria-describedby="rule-comparison-hint" onChange=${(e) => set({ comparison: e.target.value })}>
            <option value="ABOVE" selected=${d.comparison === 'ABOVE'}>at or above the threshold</option>
            <option value="BELOW" selected=${d.comparison === 'BELOW'}>at or below the threshold</option></select></label>
          <span class="hint" id="rule-comparison-hint">${d.comparison === 'BELOW' ? 'A floor, such as a success rate under 80 %.' : 'A ceiling, such as a budget.'}</span>
        </div>
        <div class="threshold">
          <label>Threshold (${unit.label}) <input id="rule-threshold" name="threshold" type="number" min="0" step="any" inputmode="decimal" value=${d.threshold}
            max=${d.metric === 'SUCCESS_RATE' ? 100 : undefined} onInput=${(e) => set({ threshold: e.target.value })} ...${invalid('threshold')} /></label>
          <${Current} org=${org} d=${d} rule=${rule} />
        </div>
        ${here('threshold')}
        <div class="field">
          <label>Warning at (% of the threshold) <input id="rule-warnAt" name="warnAt" type="number" min="1" max="99" step="any" inputmode="decimal"
            value=${d.comparison === 'ABOVE' ? d.warnAt : ''} disabled=${d.comparison === 'BELOW'} aria-describedby="rule-warn-hint"
            onInput=${(e) => set({ warnAt: e.target.value })} ...${invalid('warnAt')} /></label>
          <span class="hint" id="rule-warn-hint">${d.comparison === 'BELOW' ? 'A floor fires at its threshold: no warning line.' : 'Optional: WARNING from this share, FIRING at the threshold.'}</span>
        </div>
        ${here('warnAt')}
      </div>
      <fieldset class="rule-scope" aria-describedby=${problem?.field === 'scope' ? 'rule-problem' : undefined}>
        <legend>Scope</legend>
        <label><input type="radio" name="scope" value="org" checked=${d.scope === 'org'} onChange=${() => set({ scope: 'org' })} /> The whole org</label>
        <label><input type="radio" name="scope" value="team" checked=${d.scope === 'team'} disabled=${orgOnly} onChange=${() => set({ scope: 'team' })} /> A team</label>
        ${d.scope === 'team'
          ? html`<label class="indent">Team <select id="rule-scope" name="team" aria-busy=${choices.data ? undefined : 'true'} onChange=${(e) => set({ teamId: e.target.value })}>
              <option value="" selected=${!d.teamId}>Choose a team…</option>
              ${teams.map((t) => html`<option value=${t.id} selected=${t.id === d.teamId}>${t.name}</option>`)}</select></label>`
          : null}
        <label><input type="radio" name="scope" value="user" checked=${d.scope === 'user'} disabled=${orgOnly} onChange=${() => set({ scope: 'user', window: d.window === 'HOUR' ? 'DAY' : d.window })} /> One user</label>
        ${d.scope === 'user' ? html`<div class="indent"><${UserField} slug=${org.slug} value=${d.userId} search onChoose=${(id) => set({ userId: id })} /></div>` : null}
        ${orgOnly ? html`<p class="hint">Dead letters are the org’s.</p>` : null}
        ${here('scope')}
      </fieldset>
      <fieldset class="rule-channels">
        <legend>Channels</legend>
        ${channels.length
          ? html`<ul class="checks">${channels.map((c) => html`<li key=${c.id}><label><input type="checkbox" name="channel" value=${c.id} checked=${d.channelIds.includes(c.id)}
              onChange=${(e) => set({ channelIds: e.target.checked ? [...d.channelIds, c.id] : d.channelIds.filter((x) => x !== c.id) })} />
              <span>${c.name} <span class="muted">${c.kind === 'SLACK' ? 'Slack' : 'webhook'} · ${c.target}</span></span></label></li>`)}</ul>`
          : html`<p class="hint">${choices.data ? 'No channel yet: add one under Channels. Without one, changes show here and in the history only.' : 'Loading channels…'}</p>`}
        ${here('channels')}
      </fieldset>
      <label class="check"><input type="checkbox" name="enabled" checked=${d.enabled} onChange=${(e) => set({ enabled: e.target.checked })} /> Enabled: evaluated after every batch of events and each minute</label>
      ${problem && !['name', 'window', 'threshold', 'warnAt', 'scope', 'channels'].includes(problem.field) ? html`<p class="field-error" id="rule-problem" role="alert">${problem.message}</p>` : null}
      <div class="controls">
        <button type="submit" class="primary" aria-disabled=${state.busy ? 'true' : undefined}>${state.busy ? 'Saving…' : rule ? 'Save rule' : 'Create rule'}</button>
        <button type="button" onClick=${() => state.busy || onDone(null)}>Cancel</button>
      </div>
    </form>
  </section>`;
}

/**
 * The scope's value now for the chosen metric and window (Org.alertValue);
 * when editing and the server cannot say, the rule's value at its last
 * evaluation, if the rule still watches the same.
 */
function Current({ org, d, rule }) {
  const teamId = d.scope === 'team' ? d.teamId || null : null;
  const userId = d.scope === 'user' ? d.userId || null : null;
  const wanted = { org: org.slug, metric: d.metric, window: d.window, teamId, userId };
  const incomplete = (d.scope === 'team' && !teamId) || (d.scope === 'user' && !userId);
  const now = useLoad({ ...wanted, incomplete }, () => (incomplete ? Promise.resolve(null) : gql(VALUE, wanted).then((r) => orgOf(r, org.slug).alertValue)));
  const same = rule && rule.metric === d.metric && rule.window === d.window && (rule.team?.id ?? null) === teamId && (rule.user?.id ?? null) === userId;
  // A metric read at the moment has no window to name.
  const instant = INSTANT.includes(d.metric);
  const span = instant ? '' : ` ${windowPhrase(d.window)}`;
  let text;
  if (incomplete) text = `Choose the ${d.scope} to see its value now.`;
  else if (now.data) {
    text = now.data.value == null
      ? `Nothing to measure${span} yet.`
      : `Now: ${figure(d.metric, now.data.value)}${span}${instant ? '' : ` (since ${whenShort(now.data.windowStart, org.timezone)})`}.`;
  } else if (now.error) {
    const missing = /unknown field|alertValue/i.test(now.error.message);
    if (same && rule.value != null) text = `At the last evaluation: ${figure(d.metric, rule.value)}${span}.`;
    else text = missing ? 'The value now is not available from this server.' : `No value now: ${now.error.message}`;
  } else text = 'Reading the value now…';
  return html`<p class="hint current-value" role="status">${text}</p>`;
}

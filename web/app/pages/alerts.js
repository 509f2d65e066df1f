// The Alerts page of an org (MANAGER and up; an ORG_ADMIN or SUPER_ADMIN
// manages): its rules with their state and value against the threshold,
// the form that creates or edits one, the channels (ORG_ADMIN), and the
// history of notifications. The figures are read again when a notification
// arrives live and every 30 seconds (the worker evaluates after each batch
// of events).
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { gql } from '../api.js';
import { orgOf, useQuery } from '../query.js';
import { Confirm } from '../confirm.js';
import { ErrorBox, pending, StaleNote } from '../parts.js';
import { mayManageAlerts, mayReadAlerts } from '../alert-parts.js';
import { RuleList } from './alerts-rules.js';
import { RuleForm } from './alerts-rule-form.js';
import { Channels } from './alerts-channels.js';
import { FIRST_PAGE, History, useHistory } from './alerts-history.js';

export const RULE_FIELDS = `id name metric window comparison threshold warnAt team { id name } user { id name email } channels { id name }
  enabled state value evaluatedAt`;
const QUERY = `query($org: String!) { org(slug: $org) { alertRules { ${RULE_FIELDS} } ${FIRST_PAGE} } }`;
const DELETE = 'mutation($id: ID!) { deleteAlertRule(id: $id) }';
const POLL_MS = 30_000;

export function Alerts({ org, viewer }) {
  if (!mayReadAlerts(viewer.role)) {
    return html`<h1>Alerts</h1><${ErrorBox} error=${{ code: 'FORBIDDEN', message: 'You cannot see the alerts of this org: its rules and budgets are for a MANAGER and up.' }} />`;
  }
  return html`<${AlertsPage} org=${org} manage=${mayManageAlerts(viewer.role)} />`;
}

function AlertsPage({ org, manage }) {
  const result = useQuery(QUERY, { org: org.slug }, (d) => orgOf(d, org.slug));
  const history = useHistory(org.slug, result.data?.alertNotifications);
  // The rule being edited: 'new', a rule, or null.
  const [editing, setEditing] = useState(null);
  const [deleting, setDeleting] = useState(null);
  const [note, setNote] = useState('');
  useEffect(() => {
    const again = () => result.reload();
    addEventListener('agentmon:alert', again);
    const poll = setInterval(again, POLL_MS);
    return () => {
      removeEventListener('agentmon:alert', again);
      clearInterval(poll);
    };
  }, [org.slug]);
  const heading = html`<h1>Alerts <small>${org.name} · windows in ${org.timezone}</small></h1>`;
  const waiting = pending(result, heading);
  if (waiting) return waiting;
  const rules = result.data.alertRules;
  const focusRule = (id) => requestAnimationFrame(() => document.getElementById(`rule-${id}`)?.focus());
  const saved = (rule, verb) => {
    setEditing(null);
    if (!rule) return;
    setNote(`${verb} the rule ${rule.name}. It is evaluated with the next batch of events, or within a minute.`);
    result.reload();
    focusRule(rule.id);
  };
  return html`
    ${heading}
    <p class="hint">A rule watches a figure of the org, a team or a user over a calendar window and notifies its channels when it rises to WARNING or FIRING, and when it resolves.
      ${manage ? '' : ' You can read them; an ORG_ADMIN of the org changes them.'}</p>
    <${StaleNote} error=${result.error} />
    <section aria-labelledby="alert-rules">
      <div class="section-head">
        <h2 id="alert-rules">Rules</h2>
        ${manage && editing !== 'new' ? html`<button type="button" class="primary" id="new-rule" onClick=${() => { setNote(''); setEditing('new'); }}>New rule</button>` : null}
      </div>
      <p class="good" role="status">${note}</p>
      ${manage && editing === 'new'
        ? html`<${RuleForm} org=${org} rule=${null} fields=${RULE_FIELDS} onDone=${(rule) => { saved(rule, 'Created'); if (!rule) requestAnimationFrame(() => document.getElementById('new-rule')?.focus()); }} />`
        : null}
      ${manage && editing && editing !== 'new'
        ? html`<${RuleForm} key=${editing.id} org=${org} rule=${editing} fields=${RULE_FIELDS} onDone=${(rule) => { const id = editing.id; saved(rule, 'Saved'); if (!rule) focusRule(id); }} />`
        : null}
      <${RuleList} org=${org} rules=${rules} notifications=${history.all} complete=${!history.hasMore} manage=${manage}
        onEdit=${(rule) => { setNote(''); setEditing(rule); }} onDelete=${setDeleting} />
    </section>
    ${manage ? html`<${Channels} org=${org} onChanged=${result.reload} />` : null}
    <${History} org=${org} history=${history} />
    ${deleting
      ? html`<${Confirm} title=${`Delete the rule “${deleting.name}”?`} action="Delete rule" danger focusAfter="#new-rule"
          run=${() => gql(DELETE, { id: deleting.id })}
          onClose=${(done) => {
            if (done) {
              if (editing?.id === deleting.id) setEditing(null);
              setNote(`Deleted the rule ${deleting.name}.`);
              result.reload();
            }
            setDeleting(null);
          }}>
          <p>It stops being evaluated, and its notifications leave the history. Its channels stay. This cannot be undone.</p>
        </${Confirm}>`
      : null}`;
}

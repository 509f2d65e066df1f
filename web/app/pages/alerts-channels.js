// The Alerts page's channels (ORG_ADMIN, SUPER_ADMIN): where rules send
// their changes — webhooks (JSON, signed) and Slack incoming webhooks. The
// list shows a target as its scheme, host and port only (the path may hold
// the receiver's secret); a new channel's signing secret shows once, with a
// Copy button; Test sends one signed delivery now and shows its outcome;
// Delete asks first.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { NewSecret } from '../new-secret.js';
import { gql } from '../api.js';
import { orgOf, useQuery } from '../query.js';
import { Confirm } from '../confirm.js';
import { Empty, pending, StaleNote } from '../parts.js';
import { byName, whenShort } from '../format.js';
import { Delivery } from './alerts-history.js';

const FIELDS = 'id name kind target createdAt';
const QUERY = `query($org: String!) { org(slug: $org) { alertChannels { ${FIELDS} } } }`;
const CREATE = `mutation($org: String!, $name: String!, $kind: AlertChannelKind!, $url: String!) {
  createAlertChannel(org: $org, name: $name, kind: $kind, url: $url) { signingSecret channel { ${FIELDS} } } }`;
const DELETE = 'mutation($id: ID!) { deleteAlertChannel(id: $id) }';
const TEST = 'mutation($id: ID!) { testAlertChannel(id: $id) { channel { id name } status attempts responseStatus lastError } }';

const KINDS = { WEBHOOK: 'Webhook', SLACK: 'Slack' };

/** `onChanged()`: a channel came or went (the rules name theirs). */
export function Channels({ org, onChanged }) {
  const result = useQuery(QUERY, { org: org.slug }, (d) => orgOf(d, org.slug).alertChannels);
  const [created, setCreated] = useState(null);
  const [deleting, setDeleting] = useState(null);
  const [tests, setTests] = useState({});
  const heading = html`<h2 id="alert-channels">Channels</h2>`;
  const waiting = pending(result, heading, 3);
  if (waiting) return html`<section aria-labelledby="alert-channels">${waiting}</section>`;
  const channels = [...result.data].sort((a, b) => byName(a.name, b.name));
  const test = (c) => {
    if (tests[c.id]?.busy) return;
    setTests((t) => ({ ...t, [c.id]: { busy: true } }));
    gql(TEST, { id: c.id }).then(
      (d) => setTests((t) => ({ ...t, [c.id]: { delivery: d.testAlertChannel } })),
      (error) => setTests((t) => ({ ...t, [c.id]: { error } })),
    );
  };
  return html`<section aria-labelledby="alert-channels">
    ${heading}
    <p class="hint">Rules send each change to their channels: a webhook gets JSON signed with <code>X-Agentmon-Signature</code>, Slack a message. Only an ORG_ADMIN sees and changes them.</p>
    <${StaleNote} error=${result.error} />
    ${created
      ? html`<${ChannelSecret} created=${created} onDone=${() => setCreated(null)} />`
      : html`<${CreateChannel} org=${org} onCreated=${(c) => { setCreated(c); result.reload(); onChanged(); }} />`}
    ${channels.length === 0
      ? html`<${Empty}>No channel yet. Add a webhook or a Slack incoming webhook, then choose it in a rule.</${Empty}>`
      : html`<table class="stack alert-channels">
        <thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Created</th><th scope="col">Target</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${channels.map((c) => html`<tr key=${c.id} data-channel=${c.id}>
          <th scope="row" data-label="Name" class="wide" id=${`channel-${c.id}`} tabindex="-1">${c.name}</th>
          <td data-label="Kind">${KINDS[c.kind] ?? c.kind}</td>
          <td data-label="Created"><time datetime=${c.createdAt}>${whenShort(c.createdAt, org.timezone)}</time></td>
          <td data-label="Target" class="wide"><code class="target">${c.target}</code></td>
          <td class="wide"><span class="controls">
            <button type="button" onClick=${() => test(c)} aria-disabled=${tests[c.id]?.busy ? 'true' : undefined}>${tests[c.id]?.busy ? 'Testing…' : 'Test'}<span class="visually-hidden"> channel ${c.name}</span></button>
            <button type="button" class="danger" onClick=${() => setDeleting(c)}>Delete<span class="visually-hidden"> channel ${c.name}</span></button>
          </span>
          <p class="test-result" role="status">${testOutcome(tests[c.id])}</p></td></tr>`)}</tbody></table>`}
    ${deleting
      ? html`<${Confirm} title=${`Delete the channel “${deleting.name}”?`} action="Delete channel" danger focusAfter="#channel-name"
          run=${() => gql(DELETE, { id: deleting.id })}
          onClose=${(done) => { setDeleting(null); if (done) { result.reload(); onChanged(); } }}>
          <p>Rules that send to it stop sending there, and its delivery log goes with it. The receiver at <code>${deleting.target}</code> is not told.</p>
        </${Confirm}>`
      : null}
  </section>`;
}

/** The outcome of a test delivery, in words. */
function testOutcome(test) {
  if (!test || test.busy) return '';
  if (test.error) return html`<span class="field-error">The test could not be sent: ${test.error.message}</span>`;
  const d = test.delivery;
  return html`Test: <${Delivery} d=${d} />`;
}

/** The "Add channel" form; the server says what is wrong with a URL. */
function CreateChannel({ org, onCreated }) {
  const [state, setState] = useState({ busy: false, error: null });
  const submit = (e) => {
    e.preventDefault();
    if (state.busy) return;
    const form = e.target;
    const data = new FormData(form);
    const input = { org: org.slug, name: String(data.get('name') ?? '').trim(), kind: String(data.get('kind')), url: String(data.get('url') ?? '').trim() };
    setState({ busy: true, error: null });
    gql(CREATE, input).then(
      (d) => { form.reset(); setState({ busy: false, error: null }); onCreated(d.createAlertChannel); },
      (error) => setState({ busy: false, error }),
    );
  };
  const invalid = state.error ? { 'aria-invalid': 'true', 'aria-describedby': 'channel-error' } : {};
  return html`<form class="filters channel-form" aria-label="Add channel" onSubmit=${submit}>
    <label>Name <input id="channel-name" name="name" autocomplete="off" placeholder="On-call webhook" ...${invalid} /></label>
    <label>Kind <select name="kind"><option value="WEBHOOK">Webhook (signed JSON)</option><option value="SLACK">Slack incoming webhook</option></select></label>
    <label class="url">URL <input name="url" type="url" autocomplete="off" placeholder="https://hooks.example.com/agentmon/…" ...${invalid} /></label>
    <button type="submit" class="primary" aria-disabled=${state.busy ? 'true' : undefined}>${state.busy ? 'Adding…' : 'Add channel'}</button>
    ${state.error ? html`<p class="field-error" id="channel-error" role="alert">${state.error.message}</p>` : null}
  </form>`;
}

/** The new channel's signing secret, shown this once. */
function ChannelSecret({ created, onDone }) {
  return html`<${NewSecret} id="new-channel" className="new-secret" label="Signing secret" secret=${created.signingSecret} onDone=${onDone}
    title=${`Channel “${created.channel.name}” added: copy its signing secret now`}>
    <p><strong>You will not see this secret again.</strong> The receiver checks <code>X-Agentmon-Signature</code> (an HMAC-SHA256 of the body) with it; if it is lost, delete the channel and add it again.</p>
  </${NewSecret}>`;
}

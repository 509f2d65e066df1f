// The newest background jobs of the fleet (SUPER_ADMIN): replays, time-zone
// changes, retention passes and erasures, with their progress; the list
// refreshes every 2 s while one of them is queued or running.
import { html } from '../html.js';
import { useQuery } from '../query.js';
import { href, rangeParams } from '../router.js';
import { Empty, pending, StaleNote } from '../parts.js';
import { count, whenShort } from '../format.js';
import { isOpen, jobResult, JobStatus, ProgressBar, useRefresh } from '../jobs.js';

const QUERY = `{ jobs(first: 50) { id kind org status progress createdBy createdAt finishedAt error attempts result } }`;
const KINDS = { REPLAY: 'Replay', TIMEZONE_CHANGE: 'Time-zone change', RETENTION: 'Retention', ERASURE: 'Erasure' };

/** A date-time in the viewer's own time zone, to the second. */
const at = (iso) => (iso ? html`<time datetime=${iso}>${whenShort(iso, undefined, { seconds: true })}</time>` : '—');

export function Jobs({ route, tabs }) {
  const result = useQuery(QUERY, {}, (d) => d.jobs);
  const open = (result.data ?? []).filter(isOpen).length;
  // Refresh 2 s after each answer while a job is open.
  useRefresh(result, open > 0, 2000);
  const heading = html`<h1>Fleet</h1>${tabs}<h2>Jobs</h2>`;
  const waiting = pending(result, heading);
  if (waiting) return waiting;
  const jobs = result.data;
  const keep = rangeParams(route.params);
  return html`
    ${heading}
    <p class="hint">The 50 newest jobs of every org. Times are in your time zone.</p>
    <p role="status" class="muted">${open
      ? `${count(open)} ${open === 1 ? 'job is' : 'jobs are'} queued or running; this list refreshes every 2 seconds.`
      : 'No job is queued or running.'}</p>
    <${StaleNote} error=${result.error} />
    ${jobs.length === 0
      ? html`<${Empty}>No job yet. One starts when an org’s time zone or retention changes, a user’s data is erased, or events are replayed.</${Empty}>`
      : html`<table class="stack jobs">
        <thead><tr><th scope="col">Kind</th><th scope="col">Org</th><th scope="col">Status</th><th scope="col">Progress</th>
          <th scope="col">Created</th><th scope="col">Finished</th><th scope="col">Outcome</th></tr></thead>
        <tbody>${jobs.map((j) => html`<tr key=${j.id}>
          <th scope="row" data-label="Kind">${KINDS[j.kind] ?? j.kind}</th>
          <td data-label="Org">${j.org ? html`<a class="org-slug" href=${href(['org', j.org, 'overview'], keep)}>${j.org}</a>` : html`<span class="muted org-slug">every org</span>`}</td>
          <td data-label="Status"><${JobStatus} status=${j.status} />${j.attempts > 1 ? html` <span class="muted">(attempt ${j.attempts})</span>` : null}</td>
          <td data-label="Progress"><${ProgressBar} job=${j} label=${`Progress of the ${(KINDS[j.kind] ?? j.kind).toLowerCase()} job${j.org ? ` of ${j.org}` : ''}`} /></td>
          <td data-label="Created">${at(j.createdAt)} <span class="muted">by ${j.createdBy}</span></td>
          <td data-label="Finished">${at(j.finishedAt)}</td>
          <td data-label="Outcome" class="wide detail">${outcome(j)}</td></tr>`)}</tbody></table>`}`;
}

/** What the job did, why it failed, or what interrupted it before it was queued again. */
function outcome(job) {
  if (job.status === 'FAILED') return html`<span class="bad">${job.error ?? 'Failed without a reason'}</span>`;
  if (isOpen(job)) return job.error ? `Interrupted, queued again: ${job.error}` : 'not finished yet';
  return jobResult(job.result, job.kind) ?? '—';
}

// Background jobs (replays, time-zone changes, retention passes, erasures):
// their status, a progress bar with its percentage in words, following one
// job until it ends, and refreshing a list while some of it is still open.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { gql } from './api.js';
import { count } from './format.js';

const JOB = `query($id: ID!) { job(id: $id) { id kind status progress finishedAt error } }`;

const WORDS = { QUEUED: 'Queued', RUNNING: 'Running', SUCCEEDED: 'Succeeded', FAILED: 'Failed' };

/** A job that has not ended yet. */
export const isOpen = (job) => job.status === 'QUEUED' || job.status === 'RUNNING';

/** The job's status as a word, coloured by outcome. */
export const JobStatus = ({ status }) => html`<span class=${`status ${status.toLowerCase()}`}>${WORDS[status] ?? status}</span>`;

/** The share done, 0 to 100; a job that succeeded is done whatever it last reported. */
export const percentDone = (job) => (job.status === 'SUCCEEDED' ? 100 : Math.round(Math.min(1, Math.max(0, job.progress ?? 0)) * 100));

/** A bar and its percentage in text; `label` names it for assistive technology. */
export function ProgressBar({ job, label }) {
  const done = percentDone(job);
  return html`<span class=${`progress ${job.status.toLowerCase()}`}>
    <span class="track" role="progressbar" aria-label=${label} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${done}
      aria-valuetext=${`${done} % (${WORDS[job.status] ?? job.status})`}><span class="fill" style=${{ width: `${done}%` }}></span></span>
    <span class="percent" aria-hidden="true">${done} %</span></span>`;
}

/** What a job did once it succeeded, in words: "Removed 632 events · 52 sessions · 129 runs". */
export function jobResult(result, kind) {
  if (!result || typeof result !== 'object') return null;
  const words = (key, n) => {
    const spaced = key.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
    return n === 1 ? spaced.replace(/s$/, '') : spaced;
  };
  // Events, sessions and runs first, then whatever else the job counted.
  const order = ['events', 'sessions', 'runs'];
  const rank = (key) => (order.includes(key) ? order.indexOf(key) : order.length);
  const parts = Object.entries(result)
    .sort(([a], [b]) => rank(a) - rank(b))
    .flatMap(([key, value]) => {
      const n = typeof value === 'number' ? value : Array.isArray(value) ? value.length : null;
      return n == null ? [] : [`${count(n)} ${words(key, n)}`];
    });
  if (!parts.length) return null;
  const verb = { ERASURE: 'Removed', RETENTION: 'Removed', REPLAY: 'Replayed' }[kind];
  if (verb && Object.values(result).every((v) => !v || (Array.isArray(v) && !v.length))) return verb === 'Removed' ? 'Nothing to remove' : 'Nothing to replay';
  return verb ? `${verb} ${parts.join(' · ')}` : parts.join(' · ');
}

/**
 * Follows job `id`: asks for it every second until it succeeds or fails,
 * then calls `onEnd(job)`. Returns `{ job, error }`; `job` is null when the
 * viewer may not see it, undefined before the first answer.
 */
export function useJob(id, onEnd) {
  const [state, setState] = useState({ job: undefined, error: null });
  const ended = useRef(onEnd);
  ended.current = onEnd;
  useEffect(() => {
    let stopped = false;
    let timer = null;
    const tick = () =>
      gql(JOB, { id }).then(
        (d) => {
          if (stopped) return;
          setState({ job: d.job, error: null });
          if (d.job && isOpen(d.job)) timer = setTimeout(tick, 1000);
          else if (d.job) ended.current?.(d.job);
        },
        (error) => {
          if (stopped) return;
          setState((s) => ({ ...s, error }));
          // The server unreachable for a moment: ask again; a refusal stands.
          if (error.code === 'UNAVAILABLE' || error.code === 'INTERNAL') timer = setTimeout(tick, 2000);
        },
      );
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [id]);
  return state;
}

/** Reloads `result` (of useQuery) `ms` after each answer while `active`. */
export function useRefresh(result, active, ms) {
  useEffect(() => {
    if (!active) return undefined;
    const timer = setTimeout(result.reload, ms);
    return () => clearTimeout(timer);
  }, [result.data, result.error, active]);
}

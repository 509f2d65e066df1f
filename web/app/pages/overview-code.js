// The overview's code from the agents (CODE_CHANGE events, from Kpis asked
// with the rest of the overview's figures): lines, commits and pull
// requests, and what each commit and pull request cost. Shown once the
// agents reported any code in the range.
import { html } from '../html.js';
import { Card } from '../parts.js';
import { count, money } from '../format.js';

/** Whether Kpis `k` hold any code from the agents. */
export const hasCode = (k) => k.linesAdded > 0 || k.linesRemoved > 0 || k.commits > 0 || k.pullRequests > 0;

/** `k`, `b`: the Kpis of the range and of the previous period; `vs`: the overview's change line. */
export function CodeCards({ k, b, vs }) {
  const per = (cost, n, what) => (cost == null ? `No ${what} in the range.` : `${money(cost)} per ${what}: the range's cost ÷ ${count(n)} ${what}s.`);
  return html`<div class="cards" role="group" aria-label="Code from the agents">
    <${Card} label="Lines changed" value=${`+${count(k.linesAdded)} / −${count(k.linesRemoved)}`} detail=${`${count(k.linesAdded)} lines added, ${count(k.linesRemoved)} removed.`} />
    <${Card} label="Commits" value=${count(k.commits)} change=${vs(k.commits, b.commits)} />
    <${Card} label="Pull requests" value=${count(k.pullRequests)} change=${vs(k.pullRequests, b.pullRequests)} />
    <${Card} label="Cost per pull request" value=${k.costPerPullRequest == null ? '—' : money(k.costPerPullRequest)} detail=${per(k.costPerPullRequest, k.pullRequests, 'pull request')} />
    <${Card} label="Cost per commit" value=${k.costPerCommit == null ? '—' : money(k.costPerCommit)} detail=${per(k.costPerCommit, k.commits, 'commit')} />
  </div>`;
}

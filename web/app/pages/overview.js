// The org overview: KPI cards against the previous period of equal length
// (only when that period has data on at least half of its days, and not
// for 7 days or fewer up to today, which is not over), charts
// (hourly for one or two days), failures by category, top users (for roles
// that see people), coding agents (model calls, tokens, cache; the org's
// agents and tools), breakdowns by model and attribute; the same for one
// team (`team=<id>`, without breakdowns, agents or tools), and the org's
// teams side by side; for MANAGER and up, the budgets of the org (or the
// team) once the figures are drawn.
// A team whose figures the viewer may not see (a MEMBER, a team of one
// member besides them) gets its name and why instead.
// Once its cards and charts are drawn it marks `overview-ready` (a
// performance mark, from navigation start) for the ready-time test.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { errorOf, gqlAnswer } from '../api.js';
import { orgOf, useLoad, useQuery } from '../query.js';
import { href, lengthOf, rangeParams, teamOf, todayIn } from '../router.js';
import { Card, Change, Empty, pending, StaleNote } from '../parts.js';
import { refusedAt, teamIn } from '../teams.js';
import { TeamsCompare } from './overview-teams.js';
import { OverviewCharts } from './overview-charts.js';
import { QUERY, TEAM_QUERY, overviewQuestion } from './overview-query.js';
import { Breakdowns } from './overview-breakdowns.js';
import { TopUsers } from './overview-top-users.js';
import { Agents } from './overview-agents.js';
import { Waste } from './overview-waste.js';
import { Adoption } from './overview-adoption.js';
import { Budgets } from './budget.js';
import { compare, count, duration, money, percent, tokens } from '../format.js';
import { costPerSuccessOf, estimatedOf, handoffOf, iterationOf, successOf } from '../definitions.js';

/** A decimal string as a number; null stays null (no figure, not zero). */
const decimal = (text) => (text == null ? null : Number(text));

/**
 * Marks `overview-ready` once per `key` (a range): a frame after the cards
 * render and every chart's plot is drawn. Returns whether that happened:
 * the sections below the charts (agents, breakdowns, teams) load only then, so
 * their queries and drawing do not hold up the figures above them.
 */
function useReadyMark(key) {
  const [ready, setReady] = useState(null);
  useEffect(() => {
    if (!key || ready === key) return undefined;
    let frame = requestAnimationFrame(function check() {
      const plots = [...document.querySelectorAll('main .chart [role="img"]')];
      if (!plots.every((el) => el.uplot)) {
        frame = requestAnimationFrame(check);
        return;
      }
      performance.mark('overview-ready', { detail: key });
      setReady(key);
    });
    return () => cancelAnimationFrame(frame);
  });
  return key != null && ready === key;
}

/**
 * The team of an answer to TEAM_QUERY; `{ id, name, refused }` when the
 * server refuses its figures to the viewer.
 */
function teamFigures({ data, errors }, slug, id) {
  if (!data.org && errors.length) throw errorOf(errors[0]);
  const team = teamIn(orgOf(data, slug), id);
  const refused = refusedAt(errors, ['org', 'team']);
  if (refused && !(team.now && team.before)) return { id: team.id, name: team.name, refused };
  if (errors.length) throw errorOf(errors[0]);
  return team;
}

/** Why a team's figures are hidden from the viewer, and where to look instead. */
function Hidden({ org, route, viewer, team }) {
  const one = /one member besides you/i.test(team.refused.message);
  const whole = href(['org', org.slug, 'overview'], rangeParams(route.params));
  const own = href(['org', org.slug, 'users', viewer.userId], rangeParams(route.params));
  return html`<div class="notice" role="note" aria-labelledby="hidden-figures">
    <h2 id="hidden-figures">The figures of ${team.name} are hidden from you</h2>
    <p>${one
      ? html`${team.name} has one member besides you, so its figures would be that person’s own. Other people’s figures are for managers and up.`
      : team.refused.message}</p>
    <p>See <a href=${whole}>the figures of the whole of ${org.name}</a>, or <a href=${own}>your own figures</a>.</p>
  </div>`;
}

/** Whether a period has data on at least half of its days: enough to compare with. */
const enoughData = (daily, days) => daily.filter((d) => d.kpis.activeUsers > 0 || d.kpis.sessions > 0 || d.kpis.runs > 0).length >= Math.ceil(days / 2);

export function Overview({ org, route, viewer }) {
  const { range, team, variables } = overviewQuestion(org, route, viewer);
  const { people } = variables;
  const result = team
    ? useLoad({ ...variables, team }, () => gqlAnswer(TEAM_QUERY, { ...variables, team }).then((answer) => teamFigures(answer, org.slug, team)))
    : useQuery(QUERY, variables, (d) => orgOf(d, org.slug)); // one hook either way
  const span = `${range.from} – ${range.to} (${org.timezone})`;
  const heading = team
    ? html`<h1>${result.data ? `Team ${result.data.name}` : 'Team'} <small>${org.name} · ${span}</small></h1>`
    : html`<h1>${org.name} <small>${span}</small></h1>`;
  const ready = useReadyMark(result.data ? `${range.from}/${range.to}/${team ?? ''}` : null);
  const waiting = pending(result, heading);
  if (waiting) return waiting;
  const data = result.data;
  if (data.refused) return html`${heading}<${Hidden} org=${org} route=${route} viewer=${viewer} team=${data} />`;
  const comparison = team || !ready ? null : html`<${TeamsCompare} org=${org} route=${route} range=${range} />`;
  const breakdowns = team || !ready ? null : html`<${Breakdowns} org=${org} route=${route} range=${range} viewer=${viewer} />`;
  const k = data.now.kpis;
  const b = data.before.kpis;
  // Empty only without any event (every figure comes from one): a run
  // still going spends on days it neither started a session nor finished.
  if (k.activeUsers === 0) {
    const none = team ? 'No activity of this team’s members' : 'No activity';
    return html`${heading}<${Empty}>${none} from ${range.from} to ${range.to}. Widen the range${team ? ', or add members to the team' : ', or send events with ingestEvents'}.</${Empty}>${comparison}`;
  }
  const failures = k.errorsByCategory.filter((f) => f.count > 0).sort((x, y) => y.count - x.count);
  const tokensNow = k.inputTokens + k.outputTokens;
  const tokensBefore = b.inputTokens + b.outputTokens;
  const length = lengthOf(range);
  const enough = enoughData(data.before.daily, length);
  // A range that holds today compares today so far with a whole day before it.
  const today = todayIn(org.timezone);
  const ongoing = range.from <= today && today <= range.to;
  const vs = (now, before, options) => html`<${Change} result=${compare(now, before, options)} enough=${enough} days=${length} today=${ongoing} />`;
  const member = viewer.role === 'MEMBER';
  return html`
    ${heading}
    <${StaleNote} error=${result.error} />
    <p class="hint">Sessions count on the day they started, runs on the day they finished, active users on every day with an event${team ? ' (the team’s current members only)' : ''}. Hover or focus a figure for its definition.</p>
    ${member ? html`<p class="notice">These are the figures of ${team ? `the members of ${data.name} together` : `the whole of ${org.name}`}. The Sessions list and your own page show only your own sessions.</p>` : null}
    <section class="cards" aria-label="Key figures">
      <${Card} label="Active users" value=${count(k.activeUsers)} change=${vs(k.activeUsers, b.activeUsers, { better: 'up' })} />
      <${Card} label="Sessions" value=${count(k.sessions)} change=${vs(k.sessions, b.sessions, { better: 'up' })} />
      <${Card} label="Runs" value=${count(k.runs)} change=${vs(k.runs, b.runs, { better: 'up' })}
        detail=${`${count(k.succeededRuns)} succeeded, ${count(k.failedRuns)} failed, ${count(k.cancelledRuns)} cancelled.`} />
      <${Card} label="Success rate" value=${percent(k.successRate)} change=${vs(k.successRate, b.successRate, { points: true, better: 'up' })} detail=${successOf(k)} />
      <${Card} label="Cost" value=${money(k.costUsd)} change=${vs(Number(k.costUsd), Number(b.costUsd), { better: 'down' })} detail=${estimatedOf(k)} />
      <${Card} label="Cost per successful run" value=${money(k.costPerSuccessfulRun)}
        change=${vs(decimal(k.costPerSuccessfulRun), decimal(b.costPerSuccessfulRun), { better: 'down' })} detail=${costPerSuccessOf(k)} />
      <${Card} label="Tokens" value=${tokens(tokensNow)} change=${vs(tokensNow, tokensBefore)}
        detail=${`${count(k.inputTokens)} input and ${count(k.outputTokens)} output tokens.`} />
      <${Card} label="p95 run duration" value=${duration(k.durationP95Ms)} change=${vs(k.durationP95Ms, b.durationP95Ms, { better: 'down' })} />
      <${Card} label="Local handoff rate" value=${percent(k.localHandoffRate)} change=${vs(k.localHandoffRate, b.localHandoffRate, { points: true })}
        detail=${handoffOf(k.localHandoffRate, k.sessions)} />
      <${Card} label="Iteration after handoff" value=${percent(k.postHandoffIterationRate)}
        change=${vs(k.postHandoffIterationRate, b.postHandoffIterationRate, { points: true })}
        detail=${iterationOf(k.postHandoffIterationRate, k.localHandoffRate, k.sessions)} />
    </section>
    ${ready && people ? html`<${Budgets} org=${org} team=${team} />` : null}
    <${OverviewCharts} org=${org} route=${route} now=${data.now} />
    ${ready && people ? html`<${Adoption} org=${org} range=${range} team=${team} />` : null}
    <div class="columns">
      <section aria-labelledby="failures">
        <h2 id="failures">Failures by category</h2>
        ${failures.length
          ? html`<table><thead><tr><th scope="col">Category</th><th scope="col" class="num">Failed runs</th></tr></thead>
            <tbody>${failures.map((f) => html`<tr><td><a href=${href(['org', org.slug, 'sessions'], { ...rangeParams(route.params), team: teamOf(route.params), failed: f.category })}
                title=${`The sessions with a run that failed in ${f.category}`}>${f.category}</a></td><td class="num">${count(f.count)}</td></tr>`)}</tbody></table>`
          : html`<${Empty}>No failed run in this range.</${Empty}>`}
      </section>
      ${data.now.topUsers ? html`<${TopUsers} org=${org} route=${route} users=${data.now.topUsers} />` : null}
    </div>
    <${Waste} org=${org} route=${route} k=${k} />
    <${Agents} org=${org} route=${route} range=${range} k=${k} b=${b} vs=${vs} tables=${!team && ready} />
    ${breakdowns}
    ${comparison}`;
}

// The overview's coding agents: model calls, tokens and cache (cards, from
// the overview's own Kpis), then, for the whole org once the figures above
// are drawn, the runs by agent and the most called tools (one query). An
// org or team without model or tool calls in the range gets a sentence on
// how that telemetry arrives instead.
import { html } from '../html.js';
import { orgOf, useQuery } from '../query.js';
import { href, rangeParams } from '../router.js';
import { Empty, StaleNote } from '../parts.js';
import { BreakdownTable, USAGE_FIELDS } from './overview-breakdowns.js';
import { TOOL_FIELDS, Tools } from './overview-tools.js';
import { TokenCards, hasTelemetry } from './overview-tokens.js';
import { CodeCards, hasCode } from './overview-code.js';

const QUERY = `query($org: String!, $range: DateRange!) { org(slug: $org) { overview(range: $range) {
  agent: breakdown(by: AGENT) { ${USAGE_FIELDS} } tools(top: 10) { ${TOOL_FIELDS} } } } }`;

/**
 * `k`, `b`: the Kpis of the range and the previous period; `vs`: the
 * overview's change line; `tables`: load the agents and tools (the org's
 * overview, once its figures are drawn).
 */
export function Agents({ org, route, range, k, b, vs, tables }) {
  return html`<section aria-labelledby="agents">
    <h2 id="agents">Coding agents <small>model calls, tokens, code and tools</small></h2>
    ${hasTelemetry(k)
      ? html`<${TokenCards} k=${k} b=${b} vs=${vs} />${hasCode(k) ? html`<${CodeCards} k=${k} b=${b} vs=${vs} />` : null}${tables ? html`<${AgentTables} org=${org} route=${route} range=${range} />` : null}`
      : html`<${Empty}>No coding-agent telemetry from <time datetime=${range.from}>${range.from}</time> to <time datetime=${range.to}>${range.to}</time>. Model calls, tokens, cache use and tools show here once
        Claude Code, Codex or Gemini CLI send their OpenTelemetry to agentmon (<code>/otlp</code>, with a producer key of the org).</${Empty}>`}
  </section>`;
}

function AgentTables({ org, route, range }) {
  const result = useQuery(QUERY, { org: org.slug, range }, (d) => orgOf(d, org.slug).overview);
  const sessions = (value) => href(['org', org.slug, 'sessions'], { ...rangeParams(route.params), attr: `agent=${value}` });
  const toolSessions = (name) => href(['org', org.slug, 'sessions'], { ...rangeParams(route.params), tool: name });
  if (!result.data) {
    return result.error ? html`<${StaleNote} error=${result.error} />` : html`<p class="muted" role="status">Loading the agents and tools…</p>`;
  }
  return html`<div class="columns breakdowns agent-tables">
    <${BreakdownTable} id="by-agent" title="By agent" column="Agent" data=${result.data.agent} link=${sessions} what="an agent" usage />
    <${Tools} tools=${result.data.tools} link=${toolSessions} />
  </div>`;
}

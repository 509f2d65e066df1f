// The overview's model calls, tokens and prompt cache (from Kpis, asked
// with the rest of the overview's figures): a card per figure, each with
// its definition and its terms, changes against the previous period;
// the model calls with those that failed for good.
import { html } from '../html.js';
import { Card } from '../parts.js';
import { count, percent, tokens } from '../format.js';
import { cacheHitOf, modelCallsOf } from '../definitions.js';
import { hasCode } from './overview-code.js';

/** Whether Kpis `k` hold any coding-agent telemetry: a model call, a tool call or code. */
export const hasTelemetry = (k) => k.modelCalls > 0 || k.toolCalls > 0 || hasCode(k);

/**
 * `k` and `b`: the Kpis of the range and of the previous period; `vs(now,
 * before, options)`: the overview's change line.
 */
export function TokenCards({ k, b, vs }) {
  const exact = (n, what) => `${count(n)} ${what}.`;
  return html`<div class="cards" role="group" aria-label="Model calls, tokens and cache">
    <${Card} label="Model calls" value=${`${count(k.modelCalls)} (${count(k.failedModelCalls)} failed)`} change=${vs(k.modelCalls, b.modelCalls)} detail=${modelCallsOf(k)} />
    <${Card} label="Input tokens" value=${tokens(k.inputTokens)} change=${vs(k.inputTokens, b.inputTokens)} detail=${exact(k.inputTokens, 'input tokens')} />
    <${Card} label="Output tokens" value=${tokens(k.outputTokens)} change=${vs(k.outputTokens, b.outputTokens)} detail=${exact(k.outputTokens, 'output tokens')} />
    <${Card} label="Cache read" value=${tokens(k.cacheReadTokens)} change=${vs(k.cacheReadTokens, b.cacheReadTokens)} detail=${exact(k.cacheReadTokens, 'cache-read tokens')} />
    <${Card} label="Cache written" value=${tokens(k.cacheCreationTokens)} change=${vs(k.cacheCreationTokens, b.cacheCreationTokens)}
      detail=${exact(k.cacheCreationTokens, 'tokens written to a cache')} />
    <${Card} label="Cache hit rate" value=${percent(k.cacheHitRate)} change=${vs(k.cacheHitRate, b.cacheHitRate, { points: true, better: 'up' })} detail=${cacheHitOf(k)} />
  </div>`;
}

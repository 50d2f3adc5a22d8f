import { SummaryEngineKind } from './error-summary.entity.js';
import { redact } from './redact.js';
import type { FailureInput, SummaryDraft } from './summarizer.js';

/** What an engine adds to the built-in analysis (which always supplies root cause and evidence). */
export interface EngineText {
  explanation: string;
  fixHint: string | null;
}

/**
 * An engine that writes a summary's text. The built-in one is the draft itself; others (a
 * language model) may fail or time out, and the caller then keeps the built-in text.
 */
export interface SummaryEngine {
  readonly kind: SummaryEngineKind;
  write(
    input: FailureInput,
    draft: SummaryDraft,
    opts: { secrets: readonly string[] },
  ): Promise<EngineText>;
}

export const builtInEngine: SummaryEngine = {
  kind: SummaryEngineKind.BUILT_IN,
  async write(_input, draft) {
    return { explanation: draft.explanation, fixHint: draft.fixHint };
  },
};

const MAX_CONTEXT = 8_000;

const SYSTEM_PROMPT =
  'You explain why a Prefect flow run failed, for the engineer who owns it. Answer with one plain-text paragraph (at most 120 words, no markdown): what failed, where in their code, the most likely root cause, and the fix. Use only the facts given; say so when they are not enough.';

/** The user message: the built-in analysis and the evidence, redacted. */
export function llmPrompt(
  input: FailureInput,
  draft: SummaryDraft,
  secrets: readonly string[],
): string {
  const r = draft.rootCause;
  const facts = [
    `Final state: ${input.stateType} (${input.stateName})`,
    input.stateMessage ? `State message: ${input.stateMessage}` : null,
    r.exceptionType ? `Exception: ${r.exceptionType}${r.message ? `: ${r.message}` : ''}` : null,
    r.chain.length > 1 ? `Exception chain (original first): ${r.chain.join(' -> ')}` : null,
    r.taskName ? `Failing task: ${r.taskName}` : null,
    r.file ? `User frame: ${r.file}, line ${r.line}, in ${r.function}` : null,
    r.exitCode !== null ? `Infrastructure exit code: ${r.exitCode}` : null,
    draft.fixHint ? `Known cause: ${draft.fixKind}. Suggested fix: ${draft.fixHint}` : null,
    'Evidence:',
    ...draft.evidence.map((e) => `- [${e.source}] ${e.excerpt}`),
  ].filter((l): l is string => l !== null);
  const errorLines = input.logs
    .filter((l) => l.level >= 40)
    .map((l) => l.message)
    .join('\n');
  const text = `${facts.join('\n')}\n\nError log lines:\n${errorLines}`;
  return redact(text.length > MAX_CONTEXT ? text.slice(0, MAX_CONTEXT) : text, secrets);
}

export class LlmUnavailable extends Error {}

/** Any OpenAI-compatible chat-completions endpoint (`<url>/chat/completions`). */
export function llmEngine(cfg: {
  url: string;
  model: string;
  apiKey: string | null;
  timeoutMs: number;
}): SummaryEngine {
  return {
    kind: SummaryEngineKind.LLM,
    async write(input, draft, { secrets }) {
      const res = await fetch(`${cfg.url}/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(cfg.apiKey ? { authorization: `Bearer ${cfg.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: cfg.model,
          temperature: 0,
          max_tokens: 400,
          messages: [
            { role: 'system', content: SYSTEM_PROMPT },
            { role: 'user', content: llmPrompt(input, draft, secrets) },
          ],
        }),
        signal: AbortSignal.timeout(cfg.timeoutMs),
        redirect: 'error',
      });
      if (!res.ok) throw new LlmUnavailable(`The model endpoint answered ${res.status}`);
      const body = (await res.json()) as {
        choices?: { message?: { content?: unknown } }[];
      };
      const content = body.choices?.[0]?.message?.content;
      if (typeof content !== 'string' || !content.trim())
        throw new LlmUnavailable('The model endpoint answered without a message');
      // What comes back is shown to readers of the run: it is redacted like what was sent.
      return {
        explanation: redact(content.trim(), secrets).slice(0, 4000),
        fixHint: draft.fixHint,
      };
    },
  };
}

import type { Env } from '../../../../lib/env.js';

/** The error-summary settings the operations subgraph receives (from ERROR_SUMMARY_LLM_*). */
export interface ErrorSummarySettings {
  /** Null: only the built-in summarizer writes. */
  llm: { url: string; model: string; apiKey: string | null; timeoutMs: number } | null;
  /** Model calls per account and UTC day. */
  dailyBudget: number;
}

export function errorSummarySettings(env: Env): ErrorSummarySettings {
  return {
    llm:
      env.ERROR_SUMMARY_LLM_URL && env.ERROR_SUMMARY_LLM_MODEL
        ? {
            url: env.ERROR_SUMMARY_LLM_URL.replace(/\/+$/, ''),
            model: env.ERROR_SUMMARY_LLM_MODEL,
            apiKey: env.ERROR_SUMMARY_LLM_API_KEY ?? null,
            timeoutMs: env.ERROR_SUMMARY_LLM_TIMEOUT_MS,
          }
        : null,
    dailyBudget: env.ERROR_SUMMARY_LLM_DAILY_BUDGET,
  };
}

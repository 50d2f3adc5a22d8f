import { runAsActor, systemActor } from '../../../../lib/actor.js';
import type { BackgroundService } from '../../../../lib/background.js';
import { forUpdate } from '../../../../lib/db.js';
import { claimLeased, endLease } from '../../../../lib/lease.js';
import { errorField, log } from '../../../../lib/log.js';
import type { Em } from '../../../../lib/orm.js';
import type { SubgraphRuntime } from '../../../../lib/module.js';
import { BlockCrypto } from '../blocks/block-crypto.js';
import { BlockDocument } from '../blocks/block-document.entity.js';
import type { OperationsContext } from '../context.js';
import { emitEvent, resourceId, SYSTEM_PREFIX } from '../event-store/emit.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import { Log } from '../logs/log.entity.js';
import { RunState } from '../orchestration/run-state.entity.js';
import { backgroundEm } from '../services/background-em.js';
import { TaskRun } from '../task-runs/task-run.entity.js';
import { builtInEngine, llmEngine, type EngineText, type SummaryEngine } from './engines.js';
import { ErrorSummary, SummaryEngineKind, SummaryLlmUsage } from './error-summary.entity.js';
import { secretStrings } from './redact.js';
import type { ErrorSummarySettings } from './settings.js';
import { normaliseMessage, summarize, type FailureInput, type SummaryDraft } from './summarizer.js';

const BATCH = 10;
const MAX_ATTEMPTS = 8;
const RETRY_BASE_MS = 2_000;
const LEASE_MARGIN_MS = 30_000;
/** Error lines read from the start of the run, and lines of any level from its end. */
const ERROR_LINES = 100;
const TAIL_LINES = 50;
/**
 * Prefect clients send logs in batches (every 2 s, and at exit), often after the FAILED state:
 * a failure without any ERROR line yet is summarized once this long has passed since it.
 */
export const LOG_GRACE_MS = 5_000;

export const ERROR_SUMMARY_CREATED = `${SYSTEM_PREFIX}flow-run.error-summary.created`;
export const FAILURE_GROUP_CREATED = `${SYSTEM_PREFIX}failure-group.created`;

function settingsOf(sub: SubgraphRuntime<OperationsContext>): ErrorSummarySettings {
  return (
    (sub.opts.settings?.errorSummaries as ErrorSummarySettings | undefined) ?? {
      llm: null,
      dailyBudget: 0,
    }
  );
}

async function claim(sub: SubgraphRuntime<OperationsContext>, now: Date, leaseMs: number) {
  return backgroundEm(sub.orm).transactional((em: Em) =>
    claimLeased(em, ErrorSummary, { status: 'PENDING' }, { now, leaseMs, limit: BATCH }),
  );
}

/** What the summarizer reads: the failed state, error lines, the log's tail, the task runs. */
async function loadInput(em: Em, row: ErrorSummary): Promise<FailureInput | null> {
  const [run, state] = await Promise.all([
    em.findOne(FlowRun, { id: row.flowRunId, workspaceId: row.workspaceId }),
    em.findOne(RunState, { id: row.stateId, runId: row.flowRunId }),
  ]);
  if (!run || !state) return null;
  const scope = { workspaceId: row.workspaceId, flowRunId: row.flowRunId };
  const [errors, tail, taskRuns] = await Promise.all([
    em.find(
      Log,
      { ...scope, level: { $gte: 40 } },
      { orderBy: { timestamp: 'asc', seq: 'asc' }, limit: ERROR_LINES },
    ),
    em.find(Log, scope, { orderBy: { timestamp: 'desc', seq: 'desc' }, limit: TAIL_LINES }),
    em.find(
      TaskRun,
      { flowRunId: row.flowRunId, workspaceId: row.workspaceId },
      { fields: ['id', 'name', 'stateType'], limit: 500, orderBy: { id: 'asc' } },
    ),
  ]);
  const lines = new Map<string, Log>();
  for (const l of [...errors, ...tail]) lines.set(String(l.seq), l);
  const logs = [...lines.values()].sort(
    (a, b) => a.timestamp.getTime() - b.timestamp.getTime() || Number(a.seq) - Number(b.seq),
  );
  return {
    flowRunName: run.name,
    stateType: state.type === 'CRASHED' ? 'CRASHED' : 'FAILED',
    stateName: state.name,
    stateMessage: state.message ?? null,
    logs: logs.map((l) => ({
      seq: String(l.seq),
      level: l.level,
      message: l.message,
      taskRunId: l.taskRunId ?? null,
    })),
    taskRuns: taskRuns.map((t) => ({ id: t.id, name: t.name, stateType: t.stateType })),
  };
}

/** The plaintext values of the workspace's secret block fields (never sent to a model). */
async function workspaceSecrets(em: Em, crypto: BlockCrypto, workspaceId: string) {
  const docs = await em.find(
    BlockDocument,
    { workspaceId, secretValues: { $ne: null } },
    { fields: ['id', 'secretValues'] },
  );
  const out: string[] = [];
  for (const d of docs) {
    const pairs = JSON.parse(crypto.decrypt(d.secretValues!, d.id)) as [string[], unknown][];
    for (const [, value] of pairs) secretStrings(value, out);
  }
  return out;
}

const dayOf = (now: Date) => now.toISOString().slice(0, 10);

/** Takes one call of the account's daily budget; false when it is spent. */
async function reserveCall(
  sub: SubgraphRuntime<OperationsContext>,
  accountId: string,
  now: Date,
  budget: number,
): Promise<boolean> {
  if (budget <= 0) return false;
  return backgroundEm(sub.orm).transactional(async (em: Em) => {
    const day = dayOf(now);
    const row = await em.findOne(SummaryLlmUsage, { accountId, day }, forUpdate(em));
    if (!row) {
      em.persist(Object.assign(new SummaryLlmUsage(), { accountId, day, calls: 1 }));
      return true;
    }
    if (row.calls >= budget) return false;
    row.calls += 1;
    return true;
  });
}

/** Writes the summary if the lease is still ours, and announces it (and a new failure group). */
async function record(
  sub: SubgraphRuntime<OperationsContext>,
  claimed: ErrorSummary,
  now: Date,
  input: FailureInput,
  draft: SummaryDraft,
  text: EngineText,
  engine: SummaryEngineKind,
): Promise<boolean> {
  return backgroundEm(sub.orm).transactional(async (em: Em) => {
    const row = await em.findOne(
      ErrorSummary,
      { id: claimed.id, leaseToken: claimed.leaseToken },
      forUpdate(em),
    );
    if (!row || row.status !== 'PENDING') return false;
    const root = draft.rootCause;
    const seen = await em.count(ErrorSummary, {
      workspaceId: row.workspaceId,
      signature: draft.signature,
      status: 'READY',
    });
    Object.assign(row, {
      status: 'READY',
      attempts: row.attempts + 1,
      leaseToken: null,
      leaseUntil: null,
      engine,
      explanation: text.explanation,
      fixHint: text.fixHint,
      fixKind: draft.fixKind,
      rootCause: root,
      evidence: draft.evidence,
      signature: draft.signature,
      signatureMessage: normaliseMessage(
        root.exceptionType
          ? `${root.exceptionType}: ${root.message ?? ''}`
          : root.exitCode !== null
            ? `Exit code ${root.exitCode}`
            : `${input.stateName}: ${input.stateMessage ?? ''}`,
      ),
      createdAt: now,
    });
    const related = [
      { id: resourceId('workspace', row.workspaceId), role: 'workspace' },
      ...(row.flowId ? [{ id: resourceId('flow', row.flowId), role: 'flow' }] : []),
      ...(row.deploymentId
        ? [{ id: resourceId('deployment', row.deploymentId), role: 'deployment' }]
        : []),
    ];
    const payload = {
      summaryId: row.id,
      stateId: row.stateId,
      stateType: row.stateType,
      engine,
      signature: draft.signature,
      exceptionType: root.exceptionType,
      exitCode: root.exitCode,
      fixKind: draft.fixKind,
    };
    emitEvent(em, {
      workspaceId: row.workspaceId,
      event: ERROR_SUMMARY_CREATED,
      resource: { id: resourceId('flow-run', row.flowRunId) },
      related,
      payload,
    });
    if (!seen) {
      emitEvent(em, {
        workspaceId: row.workspaceId,
        event: FAILURE_GROUP_CREATED,
        resource: {
          id: `${SYSTEM_PREFIX}failure-group.${draft.signature}`,
          labels: { 'flowplane.resource.type': 'failure-group' },
        },
        related: [{ id: resourceId('flow-run', row.flowRunId), role: 'flow-run' }, ...related],
        payload: { ...payload, message: row.signatureMessage, flowRunId: row.flowRunId },
      });
    }
    return true;
  });
}

/** Releases the lease without counting an attempt: the row is due again at `until`. */
async function postpone(
  sub: SubgraphRuntime<OperationsContext>,
  claimed: ErrorSummary,
  until: Date,
): Promise<void> {
  await backgroundEm(sub.orm).nativeUpdate(
    ErrorSummary,
    { id: claimed.id, leaseToken: claimed.leaseToken },
    { leaseToken: null, leaseUntil: null, nextAttemptAt: until },
  );
}

async function recordError(
  sub: SubgraphRuntime<OperationsContext>,
  claimed: ErrorSummary,
  now: Date,
  error: string,
  final: boolean,
): Promise<void> {
  await backgroundEm(sub.orm).transactional(async (em: Em) => {
    const row = await endLease(em, ErrorSummary, claimed);
    if (!row) return;
    row.lastError = error.slice(0, 2000);
    if (final || row.attempts >= MAX_ATTEMPTS) row.status = 'GAVE_UP';
    else row.nextAttemptAt = new Date(now.getTime() + RETRY_BASE_MS * 2 ** (row.attempts - 1));
  });
}

/**
 * Writes the PENDING error summaries the consumer recorded: reads the run's state, logs and task
 * runs, analyses them with the built-in summarizer and (when configured and within the account's
 * daily budget) has the language model write the explanation, falling back to the built-in text
 * on any failure or timeout. A pass that fails (the database) is retried with back-off, at most
 * MAX_ATTEMPTS times. Safe on several instances (leases, SKIP LOCKED).
 */
export function errorSummaryService(
  sub: SubgraphRuntime<OperationsContext>,
  engines: { llm?: SummaryEngine | null } = {},
): BackgroundService {
  const crypto = new BlockCrypto(sub.opts.settings?.blockEncryptionKey as Buffer | undefined);
  return {
    name: 'error-summaries',
    intervalMs: 500,
    async runOnce(now = new Date()) {
      const settings = settingsOf(sub);
      const llm = engines.llm ?? (settings.llm ? llmEngine(settings.llm) : null);
      const leaseMs = (settings.llm?.timeoutMs ?? 0) + LEASE_MARGIN_MS;
      let written = 0;
      await runAsActor(systemActor('operations.error-summaries'), async () => {
        for (;;) {
          const due = await claim(sub, now, leaseMs);
          for (const row of due) {
            try {
              const em = backgroundEm(sub.orm);
              const input = await loadInput(em, row);
              if (!input) {
                await recordError(sub, row, now, 'The run or its state no longer exists', true);
                continue;
              }
              const draft = summarize(input);
              const awaitLogs =
                !input.logs.some((l) => l.level >= 40) &&
                !(input.stateType === 'CRASHED' && draft.rootCause.exitCode !== null) &&
                now.getTime() - row.failedAt.getTime() < LOG_GRACE_MS;
              if (awaitLogs) {
                await postpone(sub, row, new Date(row.failedAt.getTime() + LOG_GRACE_MS));
                continue;
              }
              let text: EngineText = await builtInEngine.write(input, draft, { secrets: [] });
              let engine = SummaryEngineKind.BUILT_IN;
              if (llm && (await reserveCall(sub, row.accountId, now, settings.dailyBudget))) {
                try {
                  const secrets = await workspaceSecrets(em, crypto, row.workspaceId);
                  text = await llm.write(input, draft, { secrets });
                  engine = SummaryEngineKind.LLM;
                } catch (err) {
                  // Timeout, refusal, bad answer: the built-in summary stands.
                  log.warn(
                    { summaryId: row.id, error: errorField(err) },
                    'error summary: the language model failed; using the built-in summary',
                  );
                }
              }
              if (await record(sub, row, now, input, draft, text, engine)) written++;
            } catch (err) {
              await recordError(
                sub,
                row,
                now,
                err instanceof Error ? err.message : String(err),
                false,
              );
            }
          }
          if (due.length < BATCH) break;
        }
      });
      if (written) await sub.publish();
      return written;
    },
  };
}

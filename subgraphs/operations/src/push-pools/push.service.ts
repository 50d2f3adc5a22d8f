import { randomBytes } from 'node:crypto';
import { runAsActor, systemActor } from '../../../../lib/actor.js';
import type { BackgroundService } from '../../../../lib/background.js';
import { forUpdate } from '../../../../lib/db.js';
import { claimLeased, endLease } from '../../../../lib/lease.js';
import { errorField, log } from '../../../../lib/log.js';
import type { SubgraphRuntime } from '../../../../lib/module.js';
import type { Em } from '../../../../lib/orm.js';
import { policyOf } from '../../../../lib/outbound/address-policy.js';
import { sha256 } from '../../../../lib/secrets.js';
import { BlockCrypto } from '../blocks/block-crypto.js';
import type { OperationsContext } from '../context.js';
import { Deployment } from '../deployments/deployment.entity.js';
import { Flow } from '../flows/flow.entity.js';
import { lockRunForChildren } from '../flow-runs/flow-run.cleanup.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import { orchestrate } from '../orchestration/policy.js';
import { StateType } from '../orchestration/state-type.js';
import { backgroundEm } from '../services/background-em.js';
import { claimFlowRuns } from '../work-pools/claim.js';
import { mergedJobVariables } from '../work-pools/push-settings.js';
import { WorkPool } from '../work-pools/work-pool.entity.js';
import { FlowRunCredential, PushSubmission } from './push-entities.js';
import { SubmissionRefused, type PushJob, type PushSubmitter } from './submitter.js';
import { webhookPushSubmitter } from './webhook-submitter.js';

/** What operations' settings hold for push pools (server/services.ts, PUSH_* variables). */
export interface PushSettings {
  /** Flowplane's REST API base (`…/api`) as the pushed infrastructure reaches it. */
  apiUrl: string;
  /** Lifetime of a run-scoped credential. */
  credentialTtlSeconds: number;
  /**
   * How long a credential keeps working after its run ended, for what the run still reports
   * (its last log batches and task-run events); it can no longer change the run's state.
   */
  credentialGraceSeconds: number;
}

export const DEFAULT_PUSH_SETTINGS: PushSettings = {
  apiUrl: 'http://localhost:4000/api',
  credentialTtlSeconds: 6 * 3600,
  credentialGraceSeconds: 60,
};

/** Who claims runs for push pools (the runs' `workerName`). */
export const PUSH_CLAIMER = 'flowplane-push';
/** The prefix of run-scoped credentials (users' keys are fpu_, service accounts' fps_). */
export const RUN_CREDENTIAL_PREFIX = 'fpr_';

const BATCH = 20;
/** A claim outlives the call's time limit by this much before another instance may retry. */
const LEASE_MARGIN_MS = 30_000;

export function pushSettingsOf(sub: SubgraphRuntime<OperationsContext>): PushSettings {
  return { ...DEFAULT_PUSH_SETTINGS, ...(sub.opts.settings?.push as Partial<PushSettings>) };
}

/** A fresh run-scoped credential of `run` (its hash stored; the key itself is returned once). */
export function mintRunCredential(
  em: Em,
  run: Pick<FlowRun, 'id' | 'workspaceId'>,
  accountId: string,
  ttlSeconds: number,
  now: Date,
): { key: string; credential: FlowRunCredential } {
  const key = `${RUN_CREDENTIAL_PREFIX}${randomBytes(30).toString('base64url')}`;
  const credential = em.create(FlowRunCredential, {
    workspaceId: run.workspaceId,
    accountId,
    flowRunId: run.id,
    keyHash: sha256(key),
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
    createdAt: now,
  } as FlowRunCredential);
  return { key, credential };
}

/** The pool types with a submitter, and their submitters. */
export function pushSubmitters(sub: SubgraphRuntime<OperationsContext>): PushSubmitter[] {
  const crypto = new BlockCrypto(sub.opts.settings?.blockEncryptionKey as Buffer | undefined);
  return [webhookPushSubmitter({ crypto, policy: () => policyOf(sub.opts.settings) })];
}

/**
 * The push service: for pools whose type has a `PushSubmitter`, (1) claims due SCHEDULED runs
 * (the claim of `claimFlowRuns`: queue priorities, pauses, concurrency limits, SKIP LOCKED on
 * PostgreSQL, SCHEDULED → PENDING through the policy) and records one submission per run in the
 * same transaction; (2) submits due submissions under a lease with a fresh run-scoped credential,
 * records the infrastructure id, retries failures with back-off (retryBaseSeconds × 2^(n−1)) and
 * after the last attempt marks the run CRASHED with the reason; (3) calls the cancel URL of
 * submitted runs that are CANCELLING and moves them to CANCELLED. Safe on several instances.
 */
export function pushService(sub: SubgraphRuntime<OperationsContext>): BackgroundService {
  const submitters = new Map(pushSubmitters(sub).map((s) => [s.type, s]));
  const em = () => backgroundEm(sub.orm).fork();

  async function claimRuns(now: Date): Promise<number> {
    const pools = await em().find(WorkPool, {
      type: { $in: [...submitters.keys()] },
      paused: false,
    });
    let claimed = 0;
    for (const p of pools) {
      claimed += await em().transactional(async (tx: Em) => {
        const pool = await tx.findOneOrFail(WorkPool, { id: p.id });
        const runs = await claimFlowRuns(tx, pool, {
          workerName: PUSH_CLAIMER,
          queueNames: null,
          limit: BATCH,
          heartbeat: false,
          now,
        });
        for (const run of runs)
          tx.create(PushSubmission, {
            workspaceId: run.workspaceId,
            flowRunId: run.id,
            workPoolId: pool.id,
            poolType: pool.type,
            nextAttemptAt: now,
            createdAt: now,
          } as PushSubmission);
        return runs.length;
      });
    }
    return claimed;
  }

  /** The job of one attempt, with a credential committed before the job leaves. */
  async function prepare(s: PushSubmission, pool: WorkPool, now: Date): Promise<PushJob | null> {
    const settings = pushSettingsOf(sub);
    return em().transactional(async (tx: Em) => {
      // Locked against its deletion until the credential is stored: a deletion that goes first
      // leaves no run here, one that comes after announces the run, and its credentials go.
      const where = { id: s.flowRunId, workspaceId: s.workspaceId };
      if (!(await lockRunForChildren(tx, 'FLOW', where))) return null;
      const run = await tx.findOne(FlowRun, where);
      if (!run) return null;
      const [flow, deployment] = await Promise.all([
        tx.findOneOrFail(Flow, { id: run.flowId }),
        run.deploymentId ? tx.findOne(Deployment, { id: run.deploymentId }) : null,
      ]);
      const accountId = pool.pushSettings?.accountId ?? '';
      const { key, credential } = mintRunCredential(
        tx,
        run,
        accountId,
        settings.credentialTtlSeconds,
        now,
      );
      const apiUrl = `${settings.apiUrl.replace(/\/+$/, '')}/accounts/${accountId}/workspaces/${run.workspaceId}`;
      const template = pool.baseJobTemplate ?? {};
      return {
        id: s.id,
        attempt: s.attempts + 1,
        flowRun: {
          id: run.id,
          name: run.name,
          tags: run.tags,
          expectedStartTime: run.expectedStartTime?.toISOString() ?? null,
        },
        flow: { id: flow.id, name: flow.name },
        deployment: deployment
          ? {
              id: deployment.id,
              name: deployment.name,
              version: deployment.version ?? null,
              entrypoint: deployment.entrypoint ?? null,
              path: deployment.path ?? null,
              pullSteps: deployment.pullSteps ?? null,
            }
          : null,
        parameters: run.parameters ?? {},
        jobVariables: mergedJobVariables(template, deployment?.jobVariables ?? {}),
        jobConfiguration: (template.job_configuration as Record<string, unknown>) ?? {},
        workPool: { id: pool.id, name: pool.name, type: pool.type },
        api: { url: apiUrl, key, expiresAt: credential.expiresAt.toISOString() },
        env: {
          PREFECT_API_URL: apiUrl,
          PREFECT_API_KEY: key,
          PREFECT__FLOW_RUN_ID: run.id,
        },
      };
    });
  }

  /** Records an attempt's outcome if the lease is still ours; the run's state follows it. */
  async function record(
    s: PushSubmission,
    pool: WorkPool,
    now: Date,
    outcome: { infrastructureId: string | null } | { error: string; final: boolean },
  ): Promise<void> {
    await em().transactional(async (tx: Em) => {
      const row = await endLease(tx, PushSubmission, s);
      if (!row) return;
      const run = await tx.findOne(FlowRun, { id: row.flowRunId }, forUpdate(tx));
      if ('infrastructureId' in outcome) {
        row.status = 'SUBMITTED';
        row.submittedAt = now;
        row.lastError = null;
        row.infrastructureId = outcome.infrastructureId;
        if (run) run.infrastructureId = outcome.infrastructureId;
        return;
      }
      row.lastError = outcome.error.slice(0, 2000);
      // This attempt's credential is of no use to anyone now.
      await tx.nativeUpdate(
        FlowRunCredential,
        { flowRunId: row.flowRunId, revokedAt: null },
        { revokedAt: now },
      );
      const max = pool.pushSettings?.maxAttempts ?? 3;
      if (!outcome.final && row.attempts < max) {
        const base = (pool.pushSettings?.retryBaseSeconds ?? 10) * 1000;
        row.nextAttemptAt = new Date(now.getTime() + base * 2 ** (row.attempts - 1));
        return;
      }
      row.status = 'FAILED';
      if (run && run.stateType === StateType.PENDING)
        await orchestrate(
          tx,
          'FLOW',
          run,
          {
            type: StateType.CRASHED,
            name: 'Crashed',
            message:
              `Push submission to the ${pool.type} pool "${pool.name}" failed after ${row.attempts} attempt${row.attempts === 1 ? '' : 's'}: ${row.lastError}`.slice(
                0,
                2000,
              ),
            details: {},
          },
          { now },
        );
    });
  }

  /** Due submissions in `status` of the types this process can send, leased for one call. */
  function claimDue(status: 'SUBMITTING' | 'CANCELLING', now: Date): Promise<PushSubmission[]> {
    const leaseMs = policyOf(sub.opts.settings).timeoutMs + LEASE_MARGIN_MS;
    return em().transactional((tx: Em) =>
      claimLeased(
        tx,
        PushSubmission,
        { status, poolType: { $in: [...submitters.keys()] } },
        { now, leaseMs, limit: BATCH },
      ),
    );
  }

  async function submitDue(now: Date): Promise<number> {
    let attempts = 0;
    for (;;) {
      const due = await claimDue('SUBMITTING', now);
      await Promise.all(
        due.map(async (s) => {
          const pool = await em().findOne(WorkPool, { id: s.workPoolId });
          let outcome: { infrastructureId: string | null } | { error: string; final: boolean };
          try {
            if (!pool) throw new SubmissionRefused('The work pool is gone');
            const job = await prepare(s, pool, now);
            if (!job) throw new SubmissionRefused('The flow run is gone');
            outcome = await submitters.get(s.poolType)!.submit(pool, job);
          } catch (err) {
            outcome = {
              error: err instanceof Error ? err.message : String(err),
              final: err instanceof SubmissionRefused,
            };
          }
          attempts++;
          if (pool) await record(s, pool, now, outcome);
        }),
      );
      if (due.length < BATCH) break;
    }
    return attempts;
  }

  /** Submissions of runs now CANCELLING become due for their cancel call. */
  async function noticeCancellations(now: Date): Promise<void> {
    const cancelling = await em().find(
      FlowRun,
      { stateType: StateType.CANCELLING, workerName: PUSH_CLAIMER },
      { fields: ['id'], limit: 200 },
    );
    if (!cancelling.length) return;
    await em().nativeUpdate(
      PushSubmission,
      {
        flowRunId: { $in: cancelling.map((r) => r.id) },
        status: { $in: ['SUBMITTING', 'SUBMITTED'] },
        $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }],
      },
      { status: 'CANCELLING', attempts: 0, nextAttemptAt: now },
    );
  }

  async function cancelDue(now: Date): Promise<number> {
    await noticeCancellations(now);
    const due = await claimDue('CANCELLING', now);
    await Promise.all(
      due.map(async (s) => {
        const pool = await em().findOne(WorkPool, { id: s.workPoolId });
        let error: string | null = null;
        let final = false;
        try {
          if (pool && s.submittedAt)
            await submitters.get(s.poolType)!.cancel(pool, {
              flowRunId: s.flowRunId,
              infrastructureId: s.infrastructureId ?? null,
              submissionId: s.id,
            });
        } catch (err) {
          error = err instanceof Error ? err.message : String(err);
          final = err instanceof SubmissionRefused;
        }
        await em().transactional(async (tx: Em) => {
          const row = await endLease(tx, PushSubmission, s);
          if (!row) return;
          const max = pool?.pushSettings?.maxAttempts ?? 3;
          if (error && !final && row.attempts < max) {
            row.lastError = error.slice(0, 2000);
            const base = (pool?.pushSettings?.retryBaseSeconds ?? 10) * 1000;
            row.nextAttemptAt = new Date(now.getTime() + base * 2 ** (row.attempts - 1));
            return;
          }
          row.status = 'CANCELLED';
          row.lastError = error ? error.slice(0, 2000) : null;
          const run = await tx.findOne(FlowRun, { id: row.flowRunId }, forUpdate(tx));
          if (run && run.stateType === StateType.CANCELLING)
            await orchestrate(
              tx,
              'FLOW',
              run,
              {
                type: StateType.CANCELLED,
                name: 'Cancelled',
                message: error
                  ? `Cancelled; the cancel endpoint failed after ${row.attempts} attempt${row.attempts === 1 ? '' : 's'}: ${error}`.slice(
                      0,
                      2000,
                    )
                  : pool?.pushSettings?.cancelUrl
                    ? 'Cancelled: the infrastructure was asked to stop the run.'
                    : 'Cancelled.',
                details: {},
              },
              { now },
            );
        });
      }),
    );
    return due.length;
  }

  return {
    name: 'push-submitter',
    intervalMs: 1_000,
    async runOnce(now = new Date()) {
      let changed = 0;
      await runAsActor(systemActor('operations.push'), async () => {
        changed += await claimRuns(now);
        changed += await submitDue(now);
        changed += await cancelDue(now).catch((err) => {
          log.error({ error: errorField(err) }, 'push cancellation failed');
          return 0;
        });
      });
      if (changed) await sub.publish();
      return changed;
    },
  };
}

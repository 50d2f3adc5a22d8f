/**
 * The orchestration policy (REFERENCE §5): a client proposes a state, an ordered list of rules
 * answers ACCEPT, REJECT, WAIT or ABORT, and bookkeeping rules update the run on every accepted
 * transition. Each rule declares the (from, to) state types it governs; `from` null is a run
 * that has no state yet (its creation). `force` skips the `before` hooks, never the `after` ones.
 */
import { forUpdate, timeOrderedUuid } from '../../../../lib/db.js';
import type { Em } from '../../../../lib/orm.js';
import { OutboxEvent, outboxRow } from '../../../../lib/outbox.js';
import {
  boundQuery,
  entityOf,
  insertStatement,
  isPlain,
  readAlong,
  rememberAlong,
  runLastWrites,
  updateStatement,
} from '../../../../lib/plain-sql.js';
import { CollisionStrategy, Deployment } from '../deployments/deployment.entity.js';
import { stateEventRows } from './state-events.js';
import { Event, EventRelated } from '../event-store/event.entity.js';
import { persistEventRows } from '../event-store/emit.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import { TaskRun } from '../task-runs/task-run.entity.js';
import type { RunBase } from './run.base.js';
import { RunState } from './run-state.entity.js';
import { ACTIVE, SetStateStatus, STATE_TYPES, StateType, TERMINAL } from './state-type.js';

export type RunKind = 'FLOW' | 'TASK';
export type OrchestratedRun = FlowRun | TaskRun;

/** A proposed (or server-chosen) state, validated and normalised. */
export interface Proposal {
  type: StateType;
  name: string;
  message: string | null;
  details: Record<string, unknown>;
}

export interface TransitionContext {
  em: Em;
  kind: RunKind;
  run: OrchestratedRun;
  /** The current state; null while a run is being created. */
  initial: {
    type: StateType;
    name: string;
    timestamp: Date;
    details: Record<string, unknown>;
  } | null;
  proposed: Proposal;
  now: Date;
  /**
   * Outbox rows of the caller's, written after the state's own in the same INSERT (published
   * after them): a created run's `flow-run.created` without a statement of its own.
   */
  outbox?: readonly OutboxEvent[];
}

export interface Decision {
  status: SetStateStatus.REJECT | SetStateStatus.WAIT | SetStateStatus.ABORT;
  reason: string;
  delaySeconds?: number;
  /** A state the server sets instead of the proposal (AwaitingRetry, AwaitingConcurrencySlot, …). */
  replacement?: Proposal;
}

export interface OrchestrationRule {
  name: string;
  kinds: readonly RunKind[];
  from: readonly (StateType | null)[];
  to: readonly StateType[];
  /** May answer instead of ACCEPT; the first rule that answers wins. */
  before?(c: TransitionContext): Promise<Decision | void> | Decision | void;
  /** Bookkeeping on an accepted transition (also when forced). */
  after?(c: TransitionContext): Promise<void> | void;
}

export interface OrchestrationResult {
  status: SetStateStatus;
  reason: string | null;
  delaySeconds: number | null;
  state: RunState;
}

/** How long a run waits for a deployment concurrency slot before it is due again. */
export const SLOT_WAIT_SECONDS = 10;
/**
 * The name under which a caller that locks a flow run with plain statements may read its
 * deployment's concurrency limit along (lib/plain-sql `lockDetached`), sparing
 * DeploymentConcurrencySlots its own read.
 */
export const DEPLOYMENT_LIMIT = 'deployment_concurrency_limit';

/**
 * Reads the concurrency limits of `runs`' deployments in one statement and hands each run its
 * deployment's (as if read along, see DEPLOYMENT_LIMIT), for a caller about to move many runs (a
 * worker's claim): DeploymentConcurrencySlots then reads none, instead of one per run.
 */
export async function readDeploymentLimits(em: Em, runs: readonly FlowRun[]): Promise<void> {
  const ids = [...new Set(runs.map((r) => r.deploymentId).filter((id): id is string => !!id))];
  if (!ids.length) return;
  const rows = await boundQuery<{ id: string; concurrency_limit: number | null }[]>(
    em,
    `select id, concurrency_limit from deployment where id in (${ids.map(() => '?').join(', ')})`,
    ids,
  );
  const limits = new Map(rows.map((r) => [String(r.id), r.concurrency_limit ?? null]));
  for (const run of runs)
    if (run.deploymentId)
      rememberAlong(run, DEPLOYMENT_LIMIT, limits.get(run.deploymentId) ?? null);
}

export const DEFAULT_PAUSE_TIMEOUT_SECONDS = 3600;

const ANY_FROM: readonly (StateType | null)[] = [null, ...STATE_TYPES];
const ANY: readonly StateType[] = STATE_TYPES;
const S = StateType;
const BOTH: readonly RunKind[] = ['FLOW', 'TASK'];
const NON_TERMINAL = STATE_TYPES.filter((t) => !TERMINAL.has(t));

const reject = (reason: string, extra: Partial<Decision> = {}): Decision => ({
  status: SetStateStatus.REJECT,
  reason,
  ...extra,
});
const abort = (reason: string): Decision => ({ status: SetStateStatus.ABORT, reason });
const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));
const scheduledTimeOf = (p: { details: Record<string, unknown> }) =>
  typeof p.details.scheduledTime === 'string' ? p.details.scheduledTime : null;

/** The rules, in the order they are consulted. */
export const POLICY: readonly OrchestrationRule[] = [
  {
    name: 'PreventDuplicateTransitions',
    kinds: BOTH,
    from: STATE_TYPES,
    to: ANY,
    before({ initial, proposed }) {
      const tid = proposed.details.transitionId;
      if (tid !== undefined && tid === initial!.details.transitionId) {
        return reject('This transition was already applied (same transitionId)');
      }
      if (initial!.type !== proposed.type || initial!.name !== proposed.name) return;
      // Moving a SCHEDULED run to another time is a reschedule, not a duplicate.
      if (proposed.type === S.SCHEDULED && scheduledTimeOf(initial!) !== scheduledTimeOf(proposed))
        return;
      return reject(`The run is already ${proposed.type} (${proposed.name})`);
    },
  },
  {
    name: 'OnlyScheduledRunsBecomeLate',
    kinds: BOTH,
    from: ANY_FROM,
    to: [S.SCHEDULED],
    before({ initial, proposed }) {
      if (proposed.name === 'Late' && initial?.type !== S.SCHEDULED) {
        return reject('Only a SCHEDULED run can be marked Late');
      }
    },
  },
  {
    name: 'TerminalStatesAreLeftOnlyByRetryOrReschedule',
    kinds: BOTH,
    from: [...TERMINAL],
    to: ANY.filter((t) => t !== S.SCHEDULED),
    before({ initial }) {
      return abort(
        `The run is already ${initial!.type}; only a retry or reschedule (SCHEDULED) leaves a terminal state`,
      );
    },
  },
  {
    name: 'CancellingOnlyEnds',
    kinds: BOTH,
    from: [S.CANCELLING],
    to: NON_TERMINAL,
    before() {
      return reject(
        'The run is being cancelled: only CANCELLED or another terminal state may follow',
      );
    },
  },
  {
    name: 'NothingToCancelOrPause',
    kinds: BOTH,
    from: [null],
    to: [S.CANCELLING, S.PAUSED],
    before({ proposed }) {
      return reject(`A new run cannot start ${proposed.type}`);
    },
  },
  {
    name: 'PendingToPendingOnlyToASubState',
    kinds: BOTH,
    from: [S.PENDING],
    to: [S.PENDING],
    before({ proposed }) {
      if (proposed.name === 'Pending') {
        return reject('The run is already PENDING (another worker submitted it)');
      }
    },
  },
  {
    name: 'NoStepBack',
    kinds: BOTH,
    from: [S.PENDING, S.RUNNING],
    to: [S.SCHEDULED, S.PENDING],
    before({ initial, proposed }) {
      if (initial!.type === S.PENDING && proposed.type === S.PENDING) return;
      return reject(`A ${initial!.type} run cannot go back to ${proposed.type}`);
    },
  },
  {
    name: 'OnlyRunningRunsPause',
    kinds: BOTH,
    from: [S.SCHEDULED, S.PENDING, S.PAUSED],
    to: [S.PAUSED],
    before() {
      return reject('Only a RUNNING run can be paused');
    },
  },
  {
    name: 'ResumeBeforeThePauseExpires',
    kinds: BOTH,
    from: [S.PAUSED],
    to: [S.SCHEDULED, S.PENDING, S.RUNNING],
    before({ run, now }) {
      if (run.pauseExpiresAt && run.pauseExpiresAt <= now) {
        return abort('The pause expired; the run can no longer resume');
      }
    },
  },
  {
    name: 'WaitForScheduledTime',
    kinds: BOTH,
    from: [S.SCHEDULED],
    to: [S.PENDING],
    before({ run, now }) {
      const due = run.nextScheduledStartTime;
      if (due && due.getTime() > now.getTime()) {
        const delaySeconds = seconds(due.getTime() - now.getTime());
        return {
          status: SetStateStatus.WAIT,
          reason: `The run is scheduled for ${due.toISOString()}`,
          delaySeconds,
        };
      }
    },
  },
  {
    name: 'RetryFailedRuns',
    kinds: BOTH,
    from: [S.RUNNING],
    to: [S.FAILED],
    before({ run, proposed, now }) {
      if (run.runCount > run.retries) return;
      const at = new Date(now.getTime() + run.retryDelaySeconds * 1000);
      return reject(`Retrying: attempt ${run.runCount + 1} of ${run.retries + 1}`, {
        replacement: {
          type: S.SCHEDULED,
          name: 'AwaitingRetry',
          message: proposed.message,
          details: { scheduledTime: at.toISOString(), retryAttempt: run.runCount + 1 },
        },
      });
    },
  },
  {
    name: 'TaskRunsRunInsideARunningFlowRun',
    kinds: ['TASK'],
    from: ANY_FROM,
    to: [S.RUNNING],
    async before({ em, run }) {
      // Read on every task start: one bound statement, no entity.
      const [parent] = await boundQuery<{ state_type: StateType }[]>(
        em,
        'select state_type from flow_run where id = ?',
        [(run as TaskRun).flowRunId],
      );
      if (parent && parent.state_type !== S.RUNNING) {
        return abort(`Its flow run is ${parent.state_type}, not RUNNING`);
      }
    },
  },
  {
    name: 'DeploymentConcurrencySlots',
    kinds: ['FLOW'],
    from: ANY_FROM,
    to: [S.PENDING, S.RUNNING],
    async before({ em, run, now }) {
      const flowRun = run as FlowRun;
      if (!flowRun.deploymentId || flowRun.holdsDeploymentSlot) return;
      // Most deployments have no limit: only those with one pay for the lock below. The limit
      // came with the run when its caller read it along (flow-run.service), or is read here.
      let limit = readAlong(flowRun, DEPLOYMENT_LIMIT) as number | null | undefined;
      if (limit === undefined) {
        const [row] = await boundQuery<{ concurrency_limit: number | null }[]>(
          em,
          'select concurrency_limit from deployment where id = ?',
          [flowRun.deploymentId],
        );
        limit = row?.concurrency_limit ?? null;
      }
      if (limit == null) return;
      // The lock serialises slot decisions of one deployment across transactions (PostgreSQL).
      const deployment = await em.findOne(
        Deployment,
        { id: flowRun.deploymentId },
        { ...forUpdate(em), refresh: true },
      );
      if (!deployment || deployment.concurrencyLimit == null) return;
      await em.flush();
      const used = await em.count(FlowRun, {
        deploymentId: deployment.id,
        holdsDeploymentSlot: true,
        id: { $ne: flowRun.id },
      });
      if (used < deployment.concurrencyLimit) return;
      const reason = `The deployment's concurrency limit (${deployment.concurrencyLimit}) is reached`;
      if (deployment.collisionStrategy === CollisionStrategy.CANCEL_NEW) {
        return reject(reason, {
          replacement: { type: S.CANCELLED, name: 'Cancelled', message: reason, details: {} },
        });
      }
      const at = new Date(now.getTime() + SLOT_WAIT_SECONDS * 1000);
      return {
        status: SetStateStatus.WAIT,
        reason,
        delaySeconds: SLOT_WAIT_SECONDS,
        replacement: {
          type: S.SCHEDULED,
          name: 'AwaitingConcurrencySlot',
          message: reason,
          details: { scheduledTime: at.toISOString() },
        },
      };
    },
    after({ run, proposed }) {
      const flowRun = run as FlowRun;
      flowRun.holdsDeploymentSlot = ACTIVE.has(proposed.type) && flowRun.deploymentId != null;
    },
  },
  {
    name: 'ReleaseDeploymentConcurrencySlots',
    kinds: ['FLOW'],
    from: ANY_FROM,
    to: ANY.filter((t) => !ACTIVE.has(t)),
    after({ run }) {
      (run as FlowRun).holdsDeploymentSlot = false;
    },
  },
  {
    name: 'Bookkeeping',
    kinds: BOTH,
    from: ANY_FROM,
    to: ANY,
    after({ run, initial, proposed, now }) {
      const from = initial?.type ?? null;
      const to = proposed.type;
      if (from === S.RUNNING && to !== S.RUNNING) {
        run.totalRunTime += Math.max(0, now.getTime() - initial!.timestamp.getTime()) / 1000;
      }
      if (to === S.RUNNING && from !== S.RUNNING) {
        run.runCount += 1;
        run.startTime ??= now;
      }
      if (TERMINAL.has(to)) run.endTime = now;
      else if (from && TERMINAL.has(from)) run.endTime = null;
      if (to === S.SCHEDULED) {
        const at = new Date(scheduledTimeOf(proposed)!);
        run.nextScheduledStartTime = at;
        // The first time it was meant to run; a plain reschedule before it ever ran moves it.
        if (!run.expectedStartTime || (run.runCount === 0 && proposed.name === 'Scheduled')) {
          run.expectedStartTime = at;
        }
      } else {
        run.nextScheduledStartTime = null;
        run.expectedStartTime ??= now;
      }
      run.pauseExpiresAt =
        to === S.PAUSED ? new Date(proposed.details.pauseExpiresAt as string) : null;
    },
  },
  {
    // A subflow run's parent task run (the task that stands for it in the parent flow run)
    // follows the subflow's state, as in Prefect's server.
    name: 'UpdateSubflowParentTask',
    kinds: ['FLOW'],
    from: ANY_FROM,
    to: ANY,
    async after({ em, run, proposed, now }) {
      const parentId = (run as FlowRun).parentTaskRunId;
      if (!parentId) return;
      const task = await em.findOne(
        TaskRun,
        { id: parentId, workspaceId: run.workspaceId },
        forUpdate(em),
      );
      if (!task || (task.stateType === proposed.type && task.stateName === proposed.name)) return;
      await orchestrate(
        em,
        'TASK',
        task,
        { ...proposed, details: { ...proposed.details, childFlowRunId: run.id } },
        { force: true, now },
      );
    },
  },
];

const applies = (rule: OrchestrationRule, kind: RunKind, from: StateType | null, to: StateType) =>
  rule.kinds.includes(kind) && rule.from.includes(from) && rule.to.includes(to);

/** The run's current state as a State object (from the copy on the run). */
export function currentState(run: RunBase): RunState {
  return Object.assign(new RunState(), {
    id: run.stateId!,
    runId: run.id,
    type: run.stateType,
    name: run.stateName,
    message: run.stateMessage ?? null,
    details: run.stateDetails,
    timestamp: run.stateTimestamp,
  });
}

/**
 * Runs the policy for one proposal inside the caller's transaction (the run is loaded, and
 * locked on PostgreSQL, by the caller). Accepted and server-chosen states are stored, copied
 * onto the run, announced as `flow-run.state-changed` / `task-run.state-changed` domain events
 * and stored in the workspace's event store (`flowplane.flow-run.<State>`, each following the
 * run's previous state event).
 */
export async function orchestrate(
  em: Em,
  kind: RunKind,
  run: OrchestratedRun,
  proposal: Proposal,
  opts: {
    force?: boolean;
    now?: Date;
    rules?: readonly OrchestrationRule[];
    /** Outbox rows written with the accepted state's (TransitionContext.outbox). */
    outbox?: readonly OutboxEvent[];
  } = {},
): Promise<OrchestrationResult> {
  const rules = opts.rules ?? POLICY;
  const now = opts.now ?? new Date();
  const c: TransitionContext = {
    em,
    kind,
    run,
    initial: run.stateId
      ? {
          type: run.stateType,
          name: run.stateName,
          timestamp: run.stateTimestamp,
          details: run.stateDetails,
        }
      : null,
    proposed: complete(proposal, now),
    now,
    outbox: opts.outbox,
  };
  const decision = opts.force ? undefined : await decide(c, rules);
  if (!decision) {
    return {
      status: SetStateStatus.ACCEPT,
      reason: null,
      delaySeconds: null,
      state: await commit(c, rules),
    };
  }
  const state = decision.replacement
    ? await commit({ ...c, proposed: complete(decision.replacement, now) }, rules, c.proposed)
    : currentState(run);
  return {
    status: decision.status,
    reason: decision.reason,
    delaySeconds: decision.delaySeconds ?? null,
    state,
  };
}

/**
 * The first answer of the rules' `before` hooks that govern this transition; undefined is
 * ACCEPT. Reads the database only through rules that need it (the caller's `em`).
 */
export async function decide(
  c: TransitionContext,
  rules: readonly OrchestrationRule[] = POLICY,
): Promise<Decision | undefined> {
  for (const rule of rules) {
    if (!rule.before || !applies(rule, c.kind, c.initial?.type ?? null, c.proposed.type)) continue;
    const d = await rule.before(c);
    if (d) return d;
  }
  return undefined;
}

/** Runs the `after` hooks (bookkeeping on the run) of an accepted or server-chosen state. */
export async function runAfterHooks(
  c: TransitionContext,
  rules: readonly OrchestrationRule[] = POLICY,
): Promise<void> {
  for (const rule of rules) {
    if (rule.after && applies(rule, c.kind, c.initial?.type ?? null, c.proposed.type))
      await rule.after(c);
  }
}

/** Fills the details the bookkeeping relies on: a SCHEDULED state's time, a pause's expiry. */
export function complete(p: Proposal, now: Date): Proposal {
  const details = { ...p.details };
  if (p.type === S.SCHEDULED && typeof details.scheduledTime !== 'string') {
    details.scheduledTime = now.toISOString();
  }
  if (p.type === S.PAUSED && typeof details.pauseExpiresAt !== 'string') {
    const timeout = Number(details.pauseTimeoutSeconds ?? DEFAULT_PAUSE_TIMEOUT_SECONDS);
    details.pauseExpiresAt = new Date(now.getTime() + timeout * 1000).toISOString();
  }
  return { ...p, details };
}

/**
 * Stores an accepted (or server-chosen) state: the run's bookkeeping, the state row, the run's
 * current state, `…state-changed` in the outbox and the state's event. A run read with
 * lib/plain-sql `lockDetached` (the set-state requests) is written with plain statements here;
 * a managed one (created in this transaction, claimed, …) at the unit of work's flush.
 */
async function commit(
  c: TransitionContext,
  rules: readonly OrchestrationRule[],
  /** What the client proposed, when the server set another state instead. */
  intended: Proposal = c.proposed,
): Promise<RunState> {
  const { em, run, kind, proposed, now, initial } = c;
  await runAfterHooks(c, rules);
  const plain = isPlain(run);
  const fields = {
    runId: run.id,
    runKind: kind,
    type: proposed.type,
    name: proposed.name,
    message: proposed.message,
    details: proposed.details,
    timestamp: now,
  };
  // Written with plain statements, the state is a plain object (an entity instance's fields are
  // MikroORM accessors, each defined on the instance as it is first set); persisted, an entity.
  // (The entity makes its own id; the plain object takes one the same way.)
  const state: RunState = plain
    ? { id: timeOrderedUuid(), ...fields }
    : Object.assign(new RunState(), fields);
  run.stateId = state.id;
  run.stateType = proposed.type;
  run.stateName = proposed.name;
  run.stateMessage = proposed.message;
  run.stateDetails = proposed.details;
  run.stateTimestamp = now;
  const flowRun = kind === 'FLOW' ? (run as FlowRun) : null;
  const changed = outboxRow(kind === 'FLOW' ? 'flow-run.state-changed' : 'task-run.state-changed', {
    runId: run.id,
    workspaceId: run.workspaceId,
    flowId: flowRun?.flowId ?? null,
    deploymentId: flowRun?.deploymentId ?? null,
    flowRunId: flowRun ? run.id : (run as TaskRun).flowRunId,
    stateId: state.id,
    from: initial ? { type: initial.type, name: initial.name } : null,
    to: { type: proposed.type, name: proposed.name },
    message: proposed.message,
    timestamp: now.toISOString(),
  });
  const event = stateEventRows(kind, run, initial, intended, state);
  if (!plain) {
    em.persist(state);
    em.persist(entityOf(OutboxEvent, changed));
    persistEventRows(em, event);
    for (const row of c.outbox ?? []) em.persist(entityOf(OutboxEvent, row));
    return state;
  }
  // Outbox rows the hooks (or the caller) recorded go first: events publish in their order.
  if (em.getUnitOfWork().getPersistStack().size) await em.flush();
  // Sent with the transaction's COMMIT when nothing follows (lib/plain-sql `runLastWrites`).
  await runLastWrites(em, [
    // The run first: a new one (lib/plain-sql newPlain) is inserted before what refers to it.
    updateStatement(em, kind === 'FLOW' ? FlowRun : TaskRun, run as FlowRun & TaskRun),
    insertStatement(em, RunState, [state]),
    insertStatement(em, Event, [event.event]),
    insertStatement(em, EventRelated, event.related),
    insertStatement(em, OutboxEvent, [changed, event.outbox, ...(c.outbox ?? [])]),
  ]);
  return state;
}

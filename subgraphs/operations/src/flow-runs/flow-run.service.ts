import { subject } from '@casl/ability';
import { creatorOf, requireAuthenticated } from '../../../../lib/actor.js';
import { UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import { accessibleFilter, authorize } from '../../../../lib/ability.js';
import { byIdIn, forUpdate, isUuid, withinWorkspace } from '../../../../lib/db.js';
import {
  lockDetached,
  newPlain,
  readDetached,
  readDetachedWithRef,
  updateChanged,
} from '../../../../lib/plain-sql.js';
import { badInput, forbidden, notFound } from '../../../../lib/errors.js';
import type { Em } from '../../../../lib/orm.js';
import { OutboxEvent, outboxRow, recordEvent } from '../../../../lib/outbox.js';
import { paginate } from '../../../../lib/pagination.js';
import { validateName } from '../../../../lib/validation.js';
import { eventScope } from '../common/event-scope.js';
import { idOrNone } from '../common/ids.js';
import { withAllTags } from '../common/tags-sql.js';
import type { OperationsContext } from '../context.js';
import { Deployment } from '../deployments/deployment.entity.js';
import { DeploymentService } from '../deployments/deployment.service.js';
import { validateJsonObject, validateParameters } from '../deployments/parameters.js';
import { Flow } from '../flows/flow.entity.js';
import { validateLabels, validateTags } from '../flows/flow.validation.js';
import { DEPLOYMENT_LIMIT, orchestrate, type Proposal } from '../orchestration/policy.js';
import { toProposal } from '../orchestration/proposal.js';
import type { RunState } from '../orchestration/run-state.entity.js';
import { SetStateStatus, StateType } from '../orchestration/state-type.js';
import type { SetStateResult } from '../orchestration/state.types.js';
import { TaskRun } from '../task-runs/task-run.entity.js';
import { WorkQueue } from '../work-pools/work-queue.entity.js';
import { deleteFlowRuns } from './flow-run.cleanup.js';
import { FlowRun } from './flow-run.entity.js';
import type {
  CreateFlowRunInput,
  FlowRunConnection,
  FlowRunFilter,
  SetFlowRunStateInput,
  UpdateFlowRunInput,
} from './flow-run.inputs.js';
import { generateRunName } from './flow-run.names.js';

export type NewFlowRun = Pick<FlowRun, 'workspaceId' | 'flowId' | 'name'> &
  Partial<
    Pick<
      FlowRun,
      | 'deploymentId'
      | 'parameters'
      | 'tags'
      | 'labels'
      | 'idempotencyKey'
      | 'autoScheduled'
      | 'retries'
      | 'retryDelaySeconds'
      | 'parentTaskRunId'
      | 'workPoolId'
      | 'workQueueId'
      | 'createdByType'
      | 'createdById'
    >
  >;

/**
 * Creates a run and proposes its first state through the policy (from no state). A first state
 * the policy refuses outright is BAD_USER_INPUT on `state`; one it replaces (a full deployment
 * enqueues or cancels it) is kept.
 */
export async function insertFlowRun(
  em: Em,
  spec: NewFlowRun,
  proposal: Proposal,
  opts: {
    now?: Date;
    /** Outbox rows written with the run's first state, after its own (see `orchestrate`). */
    outbox?: (run: FlowRun) => OutboxEvent[];
  } = {},
): Promise<{ run: FlowRun; result: Awaited<ReturnType<typeof orchestrate>> }> {
  const now = opts.now ?? new Date();
  // Written with plain statements by the policy's commit (no unit of work for a new run).
  const run = newPlain(
    Object.assign(new FlowRun(), {
      ...spec,
      stateType: proposal.type,
      stateName: proposal.name,
      createdAt: now,
    }),
  );
  const result = await orchestrate(em, 'FLOW', run, proposal, {
    now,
    outbox: opts.outbox?.(run),
  });
  if (!run.stateId) throw badInput('state.type', result.reason ?? 'This first state is refused');
  return { run, result };
}

const intIn = (v: number | null | undefined, field: string, max: number) => {
  if (v == null) return null;
  if (!Number.isInteger(v) || v < 0 || v > max)
    throw badInput(field, `An integer from 0 to ${max}`);
  return v;
};

/**
 * Read with a run locked for a state change: its deployment's concurrency limit, which the
 * policy's DeploymentConcurrencySlots reads when the run enters PENDING (one statement less).
 */
const DEPLOYMENT_LIMIT_ALONG = {
  [DEPLOYMENT_LIMIT]: 'select concurrency_limit from deployment where id = t.deployment_id',
};

/** Flow runs: creation (from a deployment or ad hoc), reads, lists, state proposals, deletion. */
export class FlowRunService {
  constructor(private readonly ctx: OperationsContext) {}

  async create(input: CreateFlowRunInput): Promise<FlowRun> {
    const creator = creatorOf(this.ctx.principal);
    if ((input.deploymentId == null) === (input.flowId == null)) {
      throw badInput('deploymentId', 'Give exactly one of deploymentId or flowId');
    }
    let deployment: Deployment | null = null;
    let flow: Flow | null;
    // Read with plain statements (lib/plain-sql `readDetached`): creating runs is a hot path,
    // and these rows are only read, here and by the created run's fields (primed below).
    const em = this.ctx.em;
    if (input.deploymentId != null) {
      // The deployment and its flow in one statement.
      const read = isUuid(input.deploymentId)
        ? await readDetachedWithRef(
            em,
            Deployment,
            { id: input.deploymentId, workspaceId: input.workspaceId },
            Flow,
            'flowId',
          )
        : null;
      deployment = read?.row ?? null;
      if (!deployment) throw notFound('Deployment');
      // Its (or its work pool's) access list applies: RUN or MANAGE on it, or NOT_FOUND if unlisted.
      await new DeploymentService(this.ctx).authorizeDeployment('run', deployment);
      flow = read!.ref;
    } else {
      flow = isUuid(input.flowId)
        ? await readDetached(em, Flow, { id: input.flowId, workspaceId: input.workspaceId })
        : null;
      if (!flow) throw notFound('Flow');
      // A running flow reports its subflows with the worker's write permission.
      const action = input.parentTaskRunId ? 'write' : 'create';
      authorize(this.ctx, action, 'FlowRun', { workspaceId: flow.workspaceId }, 'Flow');
    }
    if (!flow) throw notFound('Flow');
    // The created run's `flow` and `deployment` (Prefect's REST answer asks for both): these rows.
    this.ctx.loaders.flowRefById.prime(flow.id, flow);
    if (deployment) this.ctx.loaders.deploymentById.prime(deployment.id, deployment);
    const workspaceId = flow.workspaceId;
    const key = input.idempotencyKey ?? null;
    if (key != null && (!key.length || key.length > 200)) {
      throw badInput('idempotencyKey', 'Must be 1 to 200 characters');
    }
    if (key) {
      const existing = await this.ctx.em.findOne(FlowRun, { workspaceId, idempotencyKey: key });
      if (existing) return existing;
    }
    const given =
      input.parameters == null ? {} : validateJsonObject(input.parameters, 'parameters');
    const parameters = { ...(deployment?.parameters ?? {}), ...given };
    validateParameters(parameters, deployment?.parameterSchema);
    const proposal = toProposal(input.state ?? { type: StateType.SCHEDULED });
    const spec: NewFlowRun = {
      workspaceId,
      flowId: flow.id,
      deploymentId: deployment?.id ?? null,
      name: input.name == null ? generateRunName() : validateName(input.name, 'name', 200),
      parameters,
      tags: validateTags([...(deployment?.tags ?? []), ...(input.tags ?? [])]),
      labels: input.labels == null ? {} : validateLabels(input.labels),
      idempotencyKey: key,
      retries: intIn(input.retries, 'retries', 100) ?? deployment?.retries ?? 0,
      retryDelaySeconds:
        intIn(input.retryDelaySeconds, 'retryDelaySeconds', 86_400) ??
        deployment?.retryDelaySeconds ??
        0,
      workPoolId: deployment?.workPoolId ?? null,
      workQueueId: deployment?.workQueueId ?? null,
      createdByType: creator?.type ?? null,
      createdById: creator?.id ?? null,
    };
    try {
      // Plain statements unless a parent task run or a work queue is named (lib/plain-sql).
      return await this.ctx.plainTransaction(async (em) => {
        if (input.parentTaskRunId != null) {
          const parent = isUuid(input.parentTaskRunId)
            ? await em.findOne(TaskRun, { id: input.parentTaskRunId, workspaceId })
            : null;
          if (!parent) throw badInput('parentTaskRunId', 'No such task run in this workspace');
          spec.parentTaskRunId = parent.id;
        }
        if (input.workQueueId != null) {
          const queue = isUuid(input.workQueueId)
            ? await em.findOne(WorkQueue, { id: input.workQueueId, workspaceId })
            : null;
          if (!queue) throw badInput('workQueueId', 'No such work queue in this workspace');
          spec.workPoolId = queue.workPoolId;
          spec.workQueueId = queue.id;
        }
        // `flow-run.created` goes with the first state's rows (one statement on PostgreSQL).
        const { run } = await insertFlowRun(em, spec, proposal, {
          outbox: (r) => [
            outboxRow('flow-run.created', {
              ...eventScope(this.ctx, workspaceId),
              runId: r.id,
              flowId: r.flowId,
              deploymentId: r.deploymentId,
            }),
          ],
        });
        return run;
      });
    } catch (err) {
      // Two requests with one key at once: the unique index lets one in; the other gets its run.
      if (key && err instanceof UniqueConstraintViolationException) {
        const winner = await this.ctx.em
          .fork()
          .findOne(FlowRun, { workspaceId, idempotencyKey: key });
        if (winner) return winner;
      }
      throw err;
    }
  }

  /** The run (inside `workspaceId`, when given); NOT_FOUND, or FORBIDDEN without `read`. */
  async get(id: string, workspaceId?: string | null): Promise<FlowRun> {
    requireAuthenticated(this.ctx.principal);
    const run = isUuid(id)
      ? withinWorkspace(await this.ctx.loaders.flowRunById.load(id), workspaceId)
      : null;
    if (!run) throw notFound('FlowRun');
    authorize(this.ctx, 'read', 'FlowRun', { workspaceId: run.workspaceId, id: run.id }, 'FlowRun');
    return run;
  }

  /** For nested fields and references: the run, or null when missing or not visible. */
  async visible(id: string | null | undefined): Promise<FlowRun | null> {
    const run = isUuid(id) ? await this.ctx.loaders.flowRunById.load(id) : null;
    if (
      !run ||
      !this.ctx.ability.can(
        'read',
        subject('FlowRun', { workspaceId: run.workspaceId, id: run.id }),
      )
    )
      return null;
    return run;
  }

  async states(run: FlowRun | TaskRun): Promise<RunState[]> {
    return this.ctx.loaders.statesByRunId.load(run.id);
  }

  async listForWorkspace(
    workspaceId: string,
    args: { first?: number | null; after?: string | null },
    filter?: FlowRunFilter | null,
    /** The properties the operation reads of each run (lib/projection); all when absent. */
    props?: readonly string[] | null,
  ): Promise<FlowRunConnection> {
    requireAuthenticated(this.ctx.principal);
    // A list narrowed to one run is checked as reading that run: a pushed run's credential
    // (limited to its run) polls its own this way. The SQL filter below applies either way.
    const only = filter?.ids?.length === 1 ? filter.ids[0] : undefined;
    authorize(
      this.ctx,
      'read',
      'FlowRun',
      { workspaceId, ...(only ? { id: only } : {}) },
      'Workspace',
    );
    const readable = accessibleFilter(this.ctx.ability, 'read', 'FlowRun');
    if (!readable) throw forbidden('see_flow_runs');
    const where: FilterQuery<FlowRun>[] = [readable as FilterQuery<FlowRun>, { workspaceId }];
    if (filter?.stateTypes?.length) where.push({ stateType: { $in: filter.stateTypes } });
    if (filter?.flowId) where.push({ flowId: idOrNone(filter.flowId) });
    if (filter?.deploymentId) where.push({ deploymentId: idOrNone(filter.deploymentId) });
    if (filter?.workPoolId) where.push({ workPoolId: idOrNone(filter.workPoolId) });
    if (filter?.parentTaskRunId) where.push({ parentTaskRunId: idOrNone(filter.parentTaskRunId) });
    if (filter?.ids) {
      if (filter.ids.length > 200) throw badInput('filter.ids', 'At most 200 ids');
      where.push({ id: { $in: filter.ids.filter((id) => isUuid(id)) } });
    }
    if (filter?.stateNames) where.push({ stateName: { $in: filter.stateNames } });
    if (filter?.tags?.length) {
      const tags = validateTags(filter.tags, 'filter.tags');
      where.push({ id: { $in: withAllTags(this.ctx.em, 'flow_run', workspaceId, tags) as never } });
    }
    return paginate(this.ctx.em, FlowRun, { $and: where }, args, props);
  }

  async delete(id: string, workspaceId?: string | null): Promise<string> {
    return this.ctx.transaction(async (em) => {
      requireAuthenticated(this.ctx.principal);
      const where = byIdIn(id, workspaceId);
      const run = where ? await em.findOne(FlowRun, where) : null;
      if (!run) throw notFound('FlowRun');
      authorize(
        this.ctx,
        'delete',
        'FlowRun',
        { workspaceId: run.workspaceId, id: run.id },
        'FlowRun',
      );
      await deleteFlowRuns(em, { id: run.id });
      recordEvent(em, 'flow-run.deleted', {
        ...eventScope(this.ctx, run.workspaceId),
        runId: run.id,
      });
      return run.id;
    });
  }

  /**
   * The run, locked for the transaction's write (inside `workspaceId` when given); NOT_FOUND, or
   * FORBIDDEN without `write`.
   */
  private async lockedForWrite(
    em: Em,
    id: string,
    workspaceId?: string | null,
    /** Read with a plain statement and written back with them (lib/plain-sql), not at flush. */
    detached = false,
  ): Promise<FlowRun> {
    const where = byIdIn(id, workspaceId);
    const run = !where
      ? null
      : detached
        ? await lockDetached(em, FlowRun, where, DEPLOYMENT_LIMIT_ALONG)
        : await em.findOne(FlowRun, where, forUpdate(em));
    if (!run) throw notFound('FlowRun');
    authorize(
      this.ctx,
      'write',
      'FlowRun',
      { workspaceId: run.workspaceId, id: run.id },
      'FlowRun',
    );
    return run;
  }

  async update(input: UpdateFlowRunInput): Promise<FlowRun> {
    requireAuthenticated(this.ctx.principal);
    return this.ctx.transaction(async (em) => {
      const run = await this.lockedForWrite(em, input.id, input.workspaceId);
      if (input.name != null) run.name = validateName(input.name, 'name', 200);
      if (input.tags != null) run.tags = validateTags(input.tags);
      if (input.labels != null) {
        const labels = validateLabels({ ...run.labels, ...validateLabels(input.labels) });
        run.labels = labels;
      }
      if (input.infrastructureId != null) {
        if (!input.infrastructureId.length || input.infrastructureId.length > 500)
          throw badInput('infrastructureId', '1 to 500 characters');
        run.infrastructureId = input.infrastructureId;
      }
      return run;
    });
  }

  async setState(input: SetFlowRunStateInput): Promise<SetStateResult> {
    requireAuthenticated(this.ctx.principal);
    // Plain statements unless a rule needs more (a deployment's slot, a subflow's parent task).
    return this.ctx.plainTransaction(async (em) => {
      const proposal = toProposal(input.state);
      if (input.infrastructureId != null && input.infrastructureId.length > 500) {
        throw badInput('infrastructureId', 'At most 500 characters');
      }
      // Read and written with plain statements (lib/plain-sql): the hottest write there is.
      const run = await this.lockedForWrite(em, input.flowRunId, input.workspaceId, true);
      const result = await orchestrate(em, 'FLOW', run, proposal, { force: input.force ?? false });
      if (result.status === SetStateStatus.ACCEPT && input.infrastructureId != null) {
        run.infrastructureId = input.infrastructureId;
        await updateChanged(em, FlowRun, run);
      }
      return result;
    });
  }
}

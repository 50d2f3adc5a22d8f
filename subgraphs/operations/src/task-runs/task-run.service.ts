import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { requireAuthenticated } from '../../../../lib/actor.js';
import { authorize } from '../../../../lib/ability.js';
import { byIdIn, isUuid, withinWorkspace } from '../../../../lib/db.js';
import {
  lockDetached,
  newPlain,
  readDetached,
  readDetachedWhere,
} from '../../../../lib/plain-sql.js';
import { badInput, conflict, notFound } from '../../../../lib/errors.js';
import { paginateMany, pageSize } from '../../../../lib/pagination.js';
import { validateName } from '../../../../lib/validation.js';

import type { OperationsContext } from '../context.js';
import { validateTags } from '../flows/flow.validation.js';
import { lockRunForChildren } from '../flow-runs/flow-run.cleanup.js';
import type { FlowRun } from '../flow-runs/flow-run.entity.js';
import { orchestrate } from '../orchestration/policy.js';
import { toProposal } from '../orchestration/proposal.js';
import { StateType } from '../orchestration/state-type.js';
import type { SetStateResult } from '../orchestration/state.types.js';
import { TaskRun } from './task-run.entity.js';
import type {
  CreateTaskRunInput,
  SetTaskRunStateInput,
  TaskRunConnection,
} from './task-run.inputs.js';

const intIn = (v: number | null | undefined, field: string, max: number) => {
  if (v == null) return 0;
  if (!Number.isInteger(v) || v < 0 || v > max)
    throw badInput(field, `An integer from 0 to ${max}`);
  return v;
};

/** Task runs of a flow run; their states go through the same policy as flow runs. */
export class TaskRunService {
  constructor(private readonly ctx: OperationsContext) {}

  /**
   * Creates the task run of a flow run, or answers the one it already has for the same id or
   * (task key, dynamic key). The flow run is read in the transaction that writes, locked against
   * its deletion (`lockRunForChildren`): a task run is never left without its flow run.
   */
  async create(input: CreateTaskRunInput): Promise<TaskRun> {
    requireAuthenticated(this.ctx.principal);
    if (!isUuid(input.flowRunId)) throw notFound('FlowRun');
    // The input is checked before any statement: a refused one costs no transaction.
    const taskKey = validateName(input.taskKey, 'taskKey', 200);
    const dynamicKey =
      input.dynamicKey == null ? '0' : validateName(input.dynamicKey, 'dynamicKey', 200);
    if (input.id != null && !isUuid(input.id)) throw badInput('id', 'Must be a UUID');
    if (input.cacheKey != null && input.cacheKey.length > 500) {
      throw badInput('cacheKey', 'At most 500 characters');
    }
    const identity = { flowRunId: input.flowRunId, taskKey, dynamicKey };
    const fields = {
      name: input.name == null ? taskKey : validateName(input.name, 'name', 200),
      cacheKey: input.cacheKey ?? null,
      tags: validateTags(input.tags ?? []),
      retries: intIn(input.retries, 'retries', 100),
      retryDelaySeconds: intIn(input.retryDelaySeconds, 'retryDelaySeconds', 86_400),
    };
    const proposal = toProposal(input.state ?? { type: StateType.PENDING });
    try {
      return await this.ctx.plainTransaction(async (em) => {
        const flowRun = await lockRunForChildren(em, 'FLOW', {
          id: input.flowRunId,
          workspaceId: input.workspaceId,
        });
        if (!flowRun) throw notFound('FlowRun');
        authorize(
          this.ctx,
          'write',
          'TaskRun',
          { workspaceId: flowRun.workspaceId, flowRunId: flowRun.id },
          'FlowRun',
        );
        // Read as detached rows (lib/plain-sql): the whole usual path is plain statements.
        if (input.id != null) {
          const byId = await readDetached(em, TaskRun, { id: input.id });
          if (byId) {
            if (byId.flowRunId !== flowRun.id)
              throw conflict('id', 'A task run with this id exists');
            return byId;
          }
        }
        const [existing] = await readDetachedWhere(em, TaskRun, identity, {
          orderBy: 'id',
          limit: 1,
        });
        if (existing) return existing;
        // Written with plain statements by the policy's commit (no unit of work for a new run).
        const run = newPlain(
          Object.assign(new TaskRun(), {
            ...identity,
            ...fields,
            workspaceId: flowRun.workspaceId,
            ...(input.id != null ? { id: input.id } : {}),
            stateType: proposal.type,
            stateName: proposal.name,
          }),
        );
        const result = await orchestrate(em, 'TASK', run, proposal);
        if (!run.stateId)
          throw badInput('state.type', result.reason ?? 'This first state is refused');
        return run;
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) {
        const winner = await this.ctx.em.fork().findOne(TaskRun, identity);
        if (winner) return winner;
      }
      throw err;
    }
  }

  /** The task run (inside `workspaceId`, when given); NOT_FOUND, or FORBIDDEN without `read`. */
  async get(id: string, workspaceId?: string | null): Promise<TaskRun> {
    requireAuthenticated(this.ctx.principal);
    const run = isUuid(id)
      ? withinWorkspace(await this.ctx.loaders.taskRunById.load(id), workspaceId)
      : null;
    if (!run) throw notFound('TaskRun');
    authorize(
      this.ctx,
      'read',
      'FlowRun',
      { workspaceId: run.workspaceId, id: run.flowRunId },
      'TaskRun',
    );
    return run;
  }

  async listForFlowRun(
    flowRun: FlowRun,
    args: { first?: number | null; after?: string | null },
  ): Promise<TaskRunConnection> {
    authorize(
      this.ctx,
      'read',
      'FlowRun',
      { workspaceId: flowRun.workspaceId, id: flowRun.id },
      'FlowRun',
    );
    pageSize(args);
    // The task runs of every run in a page of runs are read together.
    return this.ctx.loaders
      .taskRunPagesByFlowRunId(`${args.first ?? ''}:${args.after ?? ''}`, (runIds) =>
        paginateMany(this.ctx.em, TaskRun, 'flowRunId', runIds, {}, args),
      )
      .load(flowRun.id);
  }

  async setState(input: SetTaskRunStateInput): Promise<SetStateResult> {
    requireAuthenticated(this.ctx.principal);
    return this.ctx.plainTransaction(async (em) => {
      // Read and written with plain statements (lib/plain-sql): the hottest write there is.
      const where = byIdIn(input.taskRunId, input.workspaceId);
      const run = where ? await lockDetached(em, TaskRun, where) : null;
      if (!run) throw notFound('TaskRun');
      authorize(
        this.ctx,
        'write',
        'TaskRun',
        { workspaceId: run.workspaceId, flowRunId: run.flowRunId },
        'TaskRun',
      );
      return orchestrate(em, 'TASK', run, toProposal(input.state), { force: input.force ?? false });
    });
  }
}

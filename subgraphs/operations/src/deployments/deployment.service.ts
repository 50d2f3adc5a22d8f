import { subject } from '@casl/ability';
import { creatorOf, requireAuthenticated } from '../../../../lib/actor.js';
import type { FilterQuery } from '@mikro-orm/core';
import { accessibleFilter, authorize, type AppAbility } from '../../../../lib/ability.js';
import {
  byIdIn,
  conflictOnDuplicate,
  forUpdate,
  isUuid,
  withinWorkspace,
} from '../../../../lib/db.js';
import {
  badInput,
  conflict,
  forbidden,
  notFound,
  unauthenticated,
} from '../../../../lib/errors.js';
import type { Em } from '../../../../lib/orm.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { paginate, paginateMany, pageSize } from '../../../../lib/pagination.js';
import { validateName, validateOptionalText } from '../../../../lib/validation.js';
import { eventScope } from '../common/event-scope.js';
import type { OperationsContext } from '../context.js';
import { idOrNone } from '../common/ids.js';
import { Flow } from '../flows/flow.entity.js';
import { validateTags } from '../flows/flow.validation.js';
import { removeFutureScheduledRuns } from '../flow-runs/flow-run.cleanup.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import { abilitiesWithAcl, authorizeObject } from '../object-access/object-access.ability.js';
import { AccessObjectType, ObjectAccess } from '../object-access/object-access.entity.js';
import { mergedJobVariables } from '../work-pools/push-settings.js';
import { isPushType, WorkPool } from '../work-pools/work-pool.entity.js';
import { DEFAULT_QUEUE, WorkQueue } from '../work-pools/work-queue.entity.js';
import { deploymentStatusOf, emitStatusEvent, syncStatuses } from '../work-pools/status.js';
import { CollisionStrategy, Deployment } from './deployment.entity.js';
import type {
  CreateDeploymentInput,
  DeploymentConnection,
  DeploymentFilter,
  UpdateDeploymentInput,
} from './deployment.inputs.js';
import { validateJsonObject, validateParameters, validateParameterSchema } from './parameters.js';
import { DeploymentSchedule } from './schedules/schedule.entity.js';
import type { DeploymentScheduleInput } from './schedules/schedule.inputs.js';
import { MAX_SCHEDULES, validateSchedule } from './schedules/schedule.js';

const DUPLICATE_NAME = 'A deployment with this name exists for the flow';
const MAX_PULL_STEPS = 20;

/** Prefect's pull steps: a list of one-key objects (step name → its arguments). */
function pullStepsOf(value: unknown): Record<string, unknown>[] | null {
  if (value == null) return null;
  if (!Array.isArray(value)) throw badInput('pullSteps', 'Must be a JSON list of objects');
  if (value.length > MAX_PULL_STEPS)
    throw badInput('pullSteps', `At most ${MAX_PULL_STEPS} pull steps`);
  return value.map((step, i) => validateJsonObject(step, `pullSteps.${i}`));
}

function intIn(value: number | null | undefined, field: string, min: number, max: number) {
  if (value == null) return null;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badInput(field, `Must be an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * On a push pool the server itself builds each run's job: the deployment's job variables must
 * fit the pool's base job template (BAD_USER_INPUT naming the variable), checked inside the
 * write's transaction so a refused change leaves nothing behind.
 */
async function checkJobVariables(em: Em, d: Deployment): Promise<void> {
  if (!d.workPoolId) return;
  const pool = await em.findOne(WorkPool, { id: d.workPoolId });
  if (pool && isPushType(pool.type)) mergedJobVariables(pool.baseJobTemplate, d.jobVariables);
}

/** Deployments of a flow: configuration, schedules, pause/resume. */
export class DeploymentService {
  constructor(private readonly ctx: OperationsContext) {}

  async create(input: CreateDeploymentInput): Promise<Deployment> {
    const creator = creatorOf(this.ctx.principal);
    if (!creator) throw unauthenticated('Deployments are created by users and service accounts');
    const flow = isUuid(input.flowId)
      ? withinWorkspace(await this.ctx.loaders.flowById.load(input.flowId), input.workspaceId)
      : null;
    if (!flow) {
      throw notFound('Flow');
    }
    authorize(this.ctx, 'create', 'Deployment', { workspaceId: flow.workspaceId }, 'Flow');
    const name = validateName(input.name, 'name', 200);
    const parameterSchema =
      input.parameterSchema == null ? null : validateParameterSchema(input.parameterSchema);
    const parameters =
      input.parameters == null ? {} : validateJsonObject(input.parameters, 'parameters');
    validateParameters(parameters, parameterSchema, { partial: true });
    const schedules = this.schedules(input.schedules ?? []);
    return conflictOnDuplicate('name', DUPLICATE_NAME, () =>
      this.ctx.transaction(async (em) => {
        if (await em.count(Deployment, { flowId: flow.id, name })) {
          throw conflict('name', DUPLICATE_NAME);
        }
        const { workPoolId, workQueueId } = await this.placement(
          em,
          flow.workspaceId,
          input.workPoolId ?? null,
          input.workQueueId ?? null,
        );
        const d = em.create(Deployment, {
          workspaceId: flow.workspaceId,
          flowId: flow.id,
          name,
          description: validateOptionalText(input.description, 'description', 5000),
          version: validateOptionalText(input.version, 'version', 100),
          parameters,
          parameterSchema,
          workPoolId,
          workQueueId,
          jobVariables:
            input.jobVariables == null
              ? {}
              : validateJsonObject(input.jobVariables, 'jobVariables'),
          concurrencyLimit: intIn(input.concurrencyLimit, 'concurrencyLimit', 0, 100_000),
          collisionStrategy: input.collisionStrategy ?? CollisionStrategy.ENQUEUE,
          retries: intIn(input.retries, 'retries', 0, 100),
          retryDelaySeconds: intIn(input.retryDelaySeconds, 'retryDelaySeconds', 0, 86_400),
          paused: input.paused ?? false,
          tags: validateTags(input.tags ?? []),
          entrypoint: validateOptionalText(input.entrypoint, 'entrypoint', 1000),
          path: validateOptionalText(input.path, 'path', 1000),
          pullSteps: pullStepsOf(input.pullSteps),
          createdByType: creator.type,
          createdById: creator.id,
        } as Deployment);
        await checkJobVariables(em, d);
        const queue = workQueueId ? await em.findOne(WorkQueue, { id: workQueueId }) : null;
        d.status = deploymentStatusOf(queue?.status);
        this.addSchedules(em, d, schedules);
        recordEvent(em, 'deployment.created', { ...this.base(d), name, flowId: flow.id });
        return d;
      }),
    );
  }

  async update(input: UpdateDeploymentInput): Promise<Deployment> {
    return conflictOnDuplicate('name', DUPLICATE_NAME, () =>
      this.ctx.transaction(async (em) => {
        const d = await this.load(em, input.id, input.workspaceId);
        await this.authorizeDeployment('update', d, em);
        const changed: string[] = [];
        const set = <K extends keyof Deployment>(k: K, v: Deployment[K]) => {
          d[k] = v;
          changed.push(k);
        };
        if (input.name != null) {
          const name = validateName(input.name, 'name', 200);
          if (
            name !== d.name &&
            (await em.count(Deployment, { flowId: d.flowId, name, id: { $ne: d.id } }))
          ) {
            throw conflict('name', DUPLICATE_NAME);
          }
          set('name', name);
        }
        if (input.description !== undefined)
          set('description', validateOptionalText(input.description, 'description', 5000));
        if (input.version !== undefined)
          set('version', validateOptionalText(input.version, 'version', 100));
        if (input.parameterSchema !== undefined)
          set(
            'parameterSchema',
            input.parameterSchema === null ? null : validateParameterSchema(input.parameterSchema),
          );
        if (input.parameters != null)
          set('parameters', validateJsonObject(input.parameters, 'parameters'));
        validateParameters(d.parameters, d.parameterSchema, { partial: true });
        if (input.workPoolId !== undefined || input.workQueueId !== undefined) {
          const placement = await this.placement(
            em,
            d.workspaceId,
            input.workPoolId !== undefined ? input.workPoolId : (d.workPoolId ?? null),
            input.workQueueId !== undefined
              ? input.workQueueId
              : input.workPoolId !== undefined
                ? null
                : (d.workQueueId ?? null),
          );
          set('workPoolId', placement.workPoolId);
          set('workQueueId', placement.workQueueId);
          await syncStatuses(em, [], [d]);
        }
        if (input.jobVariables != null)
          set('jobVariables', validateJsonObject(input.jobVariables, 'jobVariables'));
        if (changed.includes('jobVariables') || changed.includes('workPoolId'))
          await checkJobVariables(em, d);
        if (input.concurrencyLimit !== undefined)
          set('concurrencyLimit', intIn(input.concurrencyLimit, 'concurrencyLimit', 0, 100_000));
        if (input.collisionStrategy != null) set('collisionStrategy', input.collisionStrategy);
        if (input.retries !== undefined) set('retries', intIn(input.retries, 'retries', 0, 100));
        if (input.retryDelaySeconds !== undefined)
          set('retryDelaySeconds', intIn(input.retryDelaySeconds, 'retryDelaySeconds', 0, 86_400));
        if (input.tags != null) set('tags', validateTags(input.tags));
        if (input.entrypoint !== undefined)
          set('entrypoint', validateOptionalText(input.entrypoint, 'entrypoint', 1000));
        if (input.path !== undefined) set('path', validateOptionalText(input.path, 'path', 1000));
        if (input.pullSteps !== undefined) set('pullSteps', pullStepsOf(input.pullSteps));
        if (input.schedules != null) {
          const schedules = this.schedules(input.schedules);
          await em.nativeDelete(DeploymentSchedule, { deploymentId: d.id });
          this.addSchedules(em, d, schedules);
          await removeFutureScheduledRuns(em, { deploymentId: d.id });
          changed.push('schedules');
        }
        this.ctx.loaders.schedulesByDeploymentId.clear(d.id);
        recordEvent(em, 'deployment.updated', { ...this.base(d), fields: changed });
        return d;
      }),
    );
  }

  /**
   * Creates the deployment, or, when the flow has one of this name, changes it to the given
   * configuration (Prefect's `POST /deployments/`: deploying again updates in place). Fields left
   * out keep their values; given schedules replace the old ones.
   */
  async upsert(input: CreateDeploymentInput): Promise<Deployment> {
    requireAuthenticated(this.ctx.principal);
    const name = validateName(input.name, 'name', 200);
    // Inside `workspaceId`, when given: a flow of another workspace is then NOT_FOUND (create).
    const ofFlow = byIdIn(input.flowId, input.workspaceId, 'flowId');
    const find = () =>
      ofFlow
        ? this.ctx.em.fork().findOne(Deployment, { ...ofFlow, name }, { fields: ['id'] })
        : null;
    let existing = await find();
    if (!existing) {
      try {
        return await this.create(input);
      } catch (err) {
        // Created meanwhile by another call: change it instead.
        if ((err as { extensions?: { code?: string } }).extensions?.code !== 'CONFLICT') throw err;
        existing = await find();
        if (!existing) throw err;
      }
    }
    const { flowId: _flowId, paused: _paused, ...fields } = input;
    return this.update({ ...fields, id: existing.id });
  }

  /** The deployment `name` of the flow `flowName`; null when there is none. */
  async byName(workspaceId: string, flowName: string, name: string): Promise<Deployment | null> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'Deployment', { workspaceId }, 'Workspace');
    const flow = await this.ctx.em.findOne(Flow, { workspaceId, name: flowName });
    if (!flow) return null;
    const d = await this.ctx.em.findOne(Deployment, { flowId: flow.id, name });
    if (!d) return null;
    const ability = await this.abilityIn(workspaceId);
    return ability.can('read', subject('Deployment', { workspaceId, id: d.id })) ? d : null;
  }

  /** Pausing stops its schedules and removes the runs they had created ahead. */
  async setPaused(id: string, paused: boolean, workspaceId?: string | null): Promise<Deployment> {
    return this.ctx.transaction(async (em) => {
      const d = await this.load(em, id, workspaceId);
      await this.authorizeDeployment('update', d, em);
      if (d.paused === paused) return d;
      d.paused = paused;
      // Paused, then on resume its status again (READY or NOT_READY).
      emitStatusEvent(
        em,
        'deployment',
        d,
        paused ? 'PAUSED' : d.status,
        paused ? d.status : 'PAUSED',
      );
      if (paused) await removeFutureScheduledRuns(em, { deploymentId: d.id });
      recordEvent(em, paused ? 'deployment.paused' : 'deployment.resumed', this.base(d));
      return d;
    });
  }

  /** Its schedules and future scheduled runs go; runs that already ran keep their history. */
  async delete(id: string, workspaceId?: string | null): Promise<string> {
    return this.ctx.transaction(async (em) => {
      const d = await this.load(em, id, workspaceId);
      await this.authorizeDeployment('delete', d, em);
      await em.nativeDelete(DeploymentSchedule, { deploymentId: d.id });
      await em.nativeDelete(ObjectAccess, {
        objectType: AccessObjectType.DEPLOYMENT,
        objectId: d.id,
      });
      await removeFutureScheduledRuns(em, { deploymentId: d.id });
      await em.nativeUpdate(
        FlowRun,
        { deploymentId: d.id },
        { deploymentId: null, holdsDeploymentSlot: false },
      );
      em.remove(d);
      recordEvent(em, 'deployment.deleted', { ...this.base(d), name: d.name });
      return d.id;
    });
  }

  /** The deployment (inside `workspaceId`, when given); NOT_FOUND, or FORBIDDEN without `read`. */
  async get(id: string, workspaceId?: string | null): Promise<Deployment> {
    requireAuthenticated(this.ctx.principal);
    const d = isUuid(id)
      ? withinWorkspace(await this.ctx.loaders.deploymentById.load(id), workspaceId)
      : null;
    if (!d) throw notFound('Deployment');
    await this.authorizeDeployment('read', d);
    return d;
  }

  /** For nested fields: the deployment, or null when missing or not visible to the caller. */
  async visible(id: string | null | undefined): Promise<Deployment | null> {
    const d = isUuid(id) ? await this.ctx.loaders.deploymentById.load(id) : null;
    if (!d) return null;
    const ability = await this.abilityIn(d.workspaceId);
    return ability.can('read', subject('Deployment', { workspaceId: d.workspaceId, id: d.id }))
      ? d
      : null;
  }

  async schedulesOf(d: Deployment): Promise<DeploymentSchedule[]> {
    return this.ctx.loaders.schedulesByDeploymentId.load(d.id);
  }

  async listForWorkspace(
    workspaceId: string,
    args: { first?: number | null; after?: string | null },
    filter?: DeploymentFilter | null,
  ): Promise<DeploymentConnection> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'Deployment', { workspaceId }, 'Workspace');
    return this.list({ workspaceId }, args, filter);
  }

  async listForFlow(
    flow: Flow,
    args: { first?: number | null; after?: string | null },
  ): Promise<DeploymentConnection> {
    authorize(this.ctx, 'read', 'Deployment', { workspaceId: flow.workspaceId }, 'Flow');
    pageSize(args);
    // The deployments of every flow of one workspace in a page of flows are read together.
    return this.ctx.loaders
      .deploymentPagesByFlowId(
        `${flow.workspaceId}:${args.first ?? ''}:${args.after ?? ''}`,
        async (flowIds) =>
          paginateMany(
            this.ctx.em,
            Deployment,
            'flowId',
            flowIds,
            { $and: [await this.readable(flow.workspaceId), { workspaceId: flow.workspaceId }] },
            args,
          ),
      )
      .load(flow.id);
  }

  /** What the caller may read of a workspace's deployments, as a filter; refused if nothing. */
  private async readable(workspaceId: string): Promise<FilterQuery<Deployment>> {
    // Access lists narrow the ability: hidden deployments become `id not in (…)` in SQL.
    const readable = accessibleFilter(await this.abilityIn(workspaceId), 'read', 'Deployment');
    if (!readable) throw forbidden('see_deployments');
    return readable as FilterQuery<Deployment>;
  }

  private async list(
    scope: FilterQuery<Deployment> & { workspaceId: string },
    args: { first?: number | null; after?: string | null },
    filter?: DeploymentFilter | null,
  ) {
    const where: FilterQuery<Deployment>[] = [await this.readable(scope.workspaceId), scope];
    if (filter?.flowId) where.push({ flowId: idOrNone(filter.flowId) });
    if (filter?.workPoolId) where.push({ workPoolId: idOrNone(filter.workPoolId) });
    if (filter?.paused != null) where.push({ paused: filter.paused });
    return paginate(this.ctx.em, Deployment, { $and: where }, args);
  }

  /** Stored in the given order: creation times one millisecond apart keep it. */
  private addSchedules(em: Em, d: Deployment, schedules: ReturnType<typeof validateSchedule>[]) {
    const t = Date.now();
    schedules.forEach((s, i) =>
      em.create(DeploymentSchedule, {
        ...s,
        deploymentId: d.id,
        workspaceId: d.workspaceId,
        createdAt: new Date(t + i),
      } as DeploymentSchedule),
    );
  }

  private schedules(inputs: DeploymentScheduleInput[]) {
    if (inputs.length > MAX_SCHEDULES) {
      throw badInput('schedules', `At most ${MAX_SCHEDULES} schedules`);
    }
    return inputs.map((s, i) => validateSchedule(s, `schedules.${i}`));
  }

  /** A pool of the same workspace and one of its queues (its default queue when none is named). */
  private async placement(
    em: Em,
    workspaceId: string,
    workPoolId: string | null,
    workQueueId: string | null,
  ): Promise<{ workPoolId: string | null; workQueueId: string | null }> {
    if (!workPoolId) {
      if (workQueueId) throw badInput('workQueueId', 'A work queue needs its work pool');
      return { workPoolId: null, workQueueId: null };
    }
    const pool = isUuid(workPoolId)
      ? await em.findOne(WorkPool, { id: workPoolId, workspaceId })
      : null;
    if (!pool || !(await this.poolVisible(em, pool)))
      throw badInput('workPoolId', 'No such work pool in this workspace');
    const queue = workQueueId
      ? isUuid(workQueueId)
        ? await em.findOne(WorkQueue, { id: workQueueId, workPoolId: pool.id })
        : null
      : await em.findOne(WorkQueue, { workPoolId: pool.id, name: DEFAULT_QUEUE });
    if (!queue) throw badInput('workQueueId', 'No such work queue in this work pool');
    return { workPoolId: pool.id, workQueueId: queue.id };
  }

  /**
   * The caller's ability for deployments of a workspace, narrowed by access lists (a deployment
   * without one follows its work pool's). Inside a transaction reads use its entity manager.
   */
  async abilityIn(workspaceId: string, em?: Em): Promise<AppAbility> {
    if (!em) return this.ctx.loaders.deploymentAbility.load(workspaceId);
    const [ability] = await abilitiesWithAcl(
      this.ctx,
      em,
      AccessObjectType.DEPLOYMENT,
      'Deployment',
      [workspaceId],
    );
    return ability!;
  }

  /** Role and access list; a deployment its list hides is NOT_FOUND. */
  async authorizeDeployment(action: string, d: Deployment, em?: Em): Promise<void> {
    authorizeObject(
      this.ctx,
      await this.abilityIn(d.workspaceId, em),
      action,
      'Deployment',
      { workspaceId: d.workspaceId, id: d.id },
      'Deployment',
    );
  }

  private async poolVisible(em: Em, pool: WorkPool): Promise<boolean> {
    const [ability] = await abilitiesWithAcl(this.ctx, em, AccessObjectType.WORK_POOL, 'WorkPool', [
      pool.workspaceId,
    ]);
    // Only the list matters here: placing runs in a pool is part of managing the deployment.
    return (
      !this.ctx.ability.can('read', subject('WorkPool', { workspaceId: pool.workspaceId })) ||
      ability!.can('read', subject('WorkPool', { workspaceId: pool.workspaceId, id: pool.id }))
    );
  }

  /** The deployment, locked for the write (inside `workspaceId`, when given); NOT_FOUND. */
  private async load(em: Em, id: string, workspaceId?: string | null): Promise<Deployment> {
    requireAuthenticated(this.ctx.principal);
    const where = byIdIn(id, workspaceId);
    const d = where ? await em.findOne(Deployment, where, forUpdate(em)) : null;
    if (!d) throw notFound('Deployment');
    return d;
  }

  private base(d: Deployment) {
    return { deploymentId: d.id, ...eventScope(this.ctx, d.workspaceId) };
  }
}

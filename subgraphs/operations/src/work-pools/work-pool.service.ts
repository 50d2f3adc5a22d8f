import { subject } from '@casl/ability';
import { requireAuthenticated } from '../../../../lib/actor.js';
import { accessibleFilter, authorize, type AppAbility } from '../../../../lib/ability.js';
import { conflictOnDuplicate, forUpdate, isUuid, withinWorkspace } from '../../../../lib/db.js';
import { badInput, conflict, forbidden, notFound } from '../../../../lib/errors.js';
import type { Em } from '../../../../lib/orm.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { paginate } from '../../../../lib/pagination.js';
import { validateName, validateOptionalText } from '../../../../lib/validation.js';
import { eventScope } from '../common/event-scope.js';
import type { OperationsContext } from '../context.js';
import { Deployment } from '../deployments/deployment.entity.js';
import { DeploymentService } from '../deployments/deployment.service.js';
import { validateJsonObject, validateParameterSchema } from '../deployments/parameters.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import {
  abilitiesWithAcl,
  authorizeObject,
  levelOnObject,
} from '../object-access/object-access.ability.js';
import {
  AccessLevel,
  AccessObjectType,
  LEVEL_RANK,
  ObjectAccess,
} from '../object-access/object-access.entity.js';
import { claimDeploymentFlowRuns, claimFlowRuns } from './claim.js';
import {
  WEBHOOK_PUSH_TYPE,
  webhookPushOf,
  type WebhookPushInput,
  type WebhookPushSettings,
} from './push-settings.js';
import { WorkPool } from './work-pool.entity.js';
import { poolStatusOf, queueStatusOf, syncStatuses } from './status.js';
import type {
  ClaimDeploymentFlowRunsInput,
  ClaimFlowRunsInput,
  CreateWorkPoolInput,
  CreateWorkQueueInput,
  UpdateWorkPoolInput,
  UpdateWorkQueueInput,
  WorkerHeartbeatInput,
  WorkPoolConnection,
} from './work-pool.inputs.js';
import { DEFAULT_QUEUE, WorkQueue } from './work-queue.entity.js';
import { recordHeartbeat, Worker } from './worker.entity.js';

const POOL_EXISTS = 'A work pool with this name exists in the workspace';
const QUEUE_EXISTS = 'A work queue with this name exists in the pool';
const TYPE = /^[a-z0-9][a-z0-9-]{0,99}$/;

function limitOf(value: number | null | undefined, field: string): number | null {
  if (value == null) return null;
  if (!Number.isInteger(value) || value < 0 || value > 100_000) {
    throw badInput(field, 'An integer from 0 to 100000');
  }
  return value;
}

function baseJobTemplate(value: unknown): Record<string, unknown> {
  const t = validateJsonObject(value, 'baseJobTemplate');
  if (t.variables !== undefined) validateParameterSchema(t.variables, 'baseJobTemplate.variables');
  return t;
}

/** Work pools, their queues and workers; workers heartbeat and claim runs here. */
export class WorkPoolService {
  constructor(private readonly ctx: OperationsContext) {}

  async createPool(input: CreateWorkPoolInput): Promise<WorkPool> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'create', 'WorkPool', { workspaceId: input.workspaceId }, 'Workspace');
    const name = validateName(input.name, 'name', 200);
    if (!TYPE.test(input.type)) {
      throw badInput('type', 'A type is 1 to 100 characters of a-z, 0-9 and "-"');
    }
    const template = input.baseJobTemplate == null ? {} : baseJobTemplate(input.baseJobTemplate);
    if (input.webhookPush && input.type !== WEBHOOK_PUSH_TYPE)
      throw badInput('webhookPush', `Only pools of type "${WEBHOOK_PUSH_TYPE}" take it`);
    if (input.type === WEBHOOK_PUSH_TYPE && !input.webhookPush)
      throw badInput('webhookPush', 'A webhook push pool needs its URL and signing secret');
    return conflictOnDuplicate('name', POOL_EXISTS, () =>
      this.ctx.transaction(async (em) => {
        if (await em.count(WorkPool, { workspaceId: input.workspaceId, name })) {
          throw conflict('name', POOL_EXISTS);
        }
        const pool = em.create(WorkPool, {
          workspaceId: input.workspaceId,
          name,
          type: input.type,
          description: validateOptionalText(input.description, 'description', 5000),
          baseJobTemplate: template,
          concurrencyLimit: limitOf(input.concurrencyLimit, 'concurrencyLimit'),
          paused: input.paused ?? false,
        } as WorkPool);
        if (input.webhookPush) this.setWebhookPush(pool, input.webhookPush);
        pool.status = poolStatusOf(pool, 0);
        const queue = em.create(WorkQueue, {
          workPoolId: pool.id,
          workspaceId: pool.workspaceId,
          name: DEFAULT_QUEUE,
          description: 'The queue runs go to when none is named.',
        } as WorkQueue);
        queue.status = queueStatusOf(queue, pool.status);
        recordEvent(em, 'work-pool.created', { ...this.base(pool), name, type: pool.type });
        return pool;
      }),
    );
  }

  async updatePool(input: UpdateWorkPoolInput): Promise<WorkPool> {
    return conflictOnDuplicate('name', POOL_EXISTS, () =>
      this.ctx.transaction(async (em) => {
        const pool = await this.loadPool(em, input.id);
        await this.authorizePool('update', pool, em);
        const fields: string[] = [];
        if (input.name != null) {
          const name = validateName(input.name, 'name', 200);
          if (
            name !== pool.name &&
            (await em.count(WorkPool, { workspaceId: pool.workspaceId, name }))
          )
            throw conflict('name', POOL_EXISTS);
          pool.name = name;
          fields.push('name');
        }
        if (input.description !== undefined) {
          pool.description = validateOptionalText(input.description, 'description', 5000);
          fields.push('description');
        }
        if (input.baseJobTemplate != null) {
          pool.baseJobTemplate = baseJobTemplate(input.baseJobTemplate);
          fields.push('baseJobTemplate');
        }
        if (input.concurrencyLimit !== undefined) {
          pool.concurrencyLimit = limitOf(input.concurrencyLimit, 'concurrencyLimit');
          fields.push('concurrencyLimit');
        }
        if (input.webhookPush) {
          if (pool.type !== WEBHOOK_PUSH_TYPE)
            throw badInput('webhookPush', `Only pools of type "${WEBHOOK_PUSH_TYPE}" take it`);
          this.setWebhookPush(pool, input.webhookPush);
          fields.push('webhookPush');
        }
        recordEvent(em, 'work-pool.updated', { ...this.base(pool), fields });
        return pool;
      }),
    );
  }

  private setWebhookPush(pool: WorkPool, input: WebhookPushInput): void {
    const { settings, secret } = webhookPushOf(
      input,
      { settings: pool.pushSettings ?? null, secret: pool.pushSecret ?? null },
      {
        poolId: pool.id,
        accountId: this.ctx.grants.workspaces[pool.workspaceId]?.accountId ?? '',
        crypto: this.ctx.blockCrypto,
      },
    );
    pool.pushSettings = settings;
    pool.pushSecret = secret;
  }

  /** A webhook push pool's configuration as its readers see it (never the secret). */
  webhookPush(pool: WorkPool): WebhookPushSettings | null {
    const s = pool.pushSettings;
    if (!s) return null;
    return {
      url: s.url,
      cancelUrl: s.cancelUrl,
      maxAttempts: s.maxAttempts,
      retryBaseSeconds: s.retryBaseSeconds,
      signingSecretSet: Boolean(pool.pushSecret),
    };
  }

  async setPoolPaused(id: string, paused: boolean): Promise<WorkPool> {
    return this.ctx.transaction(async (em) => {
      const pool = await this.loadPool(em, id);
      await this.authorizePool('update', pool, em);
      if (pool.paused !== paused) {
        pool.paused = paused;
        recordEvent(em, paused ? 'work-pool.paused' : 'work-pool.resumed', this.base(pool));
        await syncStatuses(em, [pool.id]);
      }
      return pool;
    });
  }

  /** Its queues and workers go; deployments and runs that pointed at it keep running nowhere. */
  async deletePool(id: string): Promise<string> {
    return this.ctx.transaction(async (em) => {
      const pool = await this.loadPool(em, id);
      await this.authorizePool('delete', pool, em);
      await em.nativeDelete(ObjectAccess, {
        objectType: AccessObjectType.WORK_POOL,
        objectId: pool.id,
      });
      const placed = await em.find(Deployment, { workPoolId: pool.id });
      await em.nativeUpdate(
        Deployment,
        { workPoolId: pool.id },
        { workPoolId: null, workQueueId: null },
      );
      // Its deployments have no pool now: NOT_READY.
      await syncStatuses(em, [], placed);
      await em.nativeUpdate(
        FlowRun,
        { workPoolId: pool.id },
        { workPoolId: null, workQueueId: null },
      );
      await em.nativeDelete(Worker, { workPoolId: pool.id });
      await em.nativeDelete(WorkQueue, { workPoolId: pool.id });
      em.remove(pool);
      recordEvent(em, 'work-pool.deleted', { ...this.base(pool), name: pool.name });
      return pool.id;
    });
  }

  async getPool(id: string): Promise<WorkPool> {
    requireAuthenticated(this.ctx.principal);
    const pool = isUuid(id) ? await this.ctx.loaders.workPoolById.load(id) : null;
    if (!pool) throw notFound('WorkPool');
    await this.authorizePool('read', pool);
    return pool;
  }

  /** The queue (inside `workspaceId`, when given); NOT_FOUND, or FORBIDDEN without `read`. */
  async getQueue(id: string, workspaceId?: string | null): Promise<WorkQueue> {
    requireAuthenticated(this.ctx.principal);
    const q = isUuid(id)
      ? withinWorkspace(await this.ctx.loaders.workQueueById.load(id), workspaceId)
      : null;
    if (!q) throw notFound('WorkQueue');
    authorize(this.ctx, 'read', 'WorkQueue', { workspaceId: q.workspaceId }, 'WorkQueue');
    // A queue is read through its pool: without see_work_pools, FORBIDDEN naming it.
    authorize(this.ctx, 'read', 'WorkPool', { workspaceId: q.workspaceId }, 'WorkQueue');
    // A queue of a pool its access list hides is hidden too.
    if (!(await this.visiblePool(q.workPoolId))) throw notFound('WorkQueue');
    return q;
  }

  /** A pool of the workspace by name; null when there is none or its access list hides it. */
  async byName(workspaceId: string, name: string): Promise<WorkPool | null> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'WorkPool', { workspaceId }, 'Workspace');
    const pool = await this.ctx.em.findOne(WorkPool, { workspaceId, name });
    if (!pool) return null;
    const ability = await this.abilityIn(workspaceId);
    return ability.can('read', subject('WorkPool', { workspaceId, id: pool.id })) ? pool : null;
  }

  async visiblePool(id: string | null | undefined): Promise<WorkPool | null> {
    const pool = isUuid(id) ? await this.ctx.loaders.workPoolById.load(id) : null;
    if (!pool) return null;
    const ability = await this.abilityIn(pool.workspaceId);
    return ability.can('read', subject('WorkPool', { workspaceId: pool.workspaceId, id: pool.id }))
      ? pool
      : null;
  }

  async visibleQueue(id: string | null | undefined): Promise<WorkQueue | null> {
    const q = isUuid(id) ? await this.ctx.loaders.workQueueById.load(id) : null;
    if (!q || !this.ctx.ability.can('read', subject('WorkQueue', { workspaceId: q.workspaceId })))
      return null;
    return q;
  }

  async listForWorkspace(
    workspaceId: string,
    args: { first?: number | null; after?: string | null },
  ): Promise<WorkPoolConnection> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'WorkPool', { workspaceId }, 'Workspace');
    // Access lists narrow the ability: hidden pools become `id not in (…)` in SQL.
    const readable = accessibleFilter(await this.abilityIn(workspaceId), 'read', 'WorkPool');
    if (!readable) throw forbidden('see_work_pools');
    return paginate(this.ctx.em, WorkPool, { $and: [readable, { workspaceId }] } as never, args);
  }

  async queuesOf(pool: WorkPool): Promise<WorkQueue[]> {
    if (!this.ctx.ability.can('read', subject('WorkQueue', { workspaceId: pool.workspaceId })))
      return [];
    return this.ctx.loaders.queuesByPoolId.load(pool.id);
  }

  async workersOf(pool: WorkPool): Promise<Worker[]> {
    if (!this.ctx.ability.can('read', subject('Worker', { workspaceId: pool.workspaceId })))
      return [];
    return this.ctx.loaders.workersByPoolId.load(pool.id);
  }

  async createQueue(input: CreateWorkQueueInput): Promise<WorkQueue> {
    return conflictOnDuplicate('name', QUEUE_EXISTS, () =>
      this.ctx.transaction(async (em) => {
        const pool = await this.loadPool(em, input.workPoolId);
        authorize(this.ctx, 'create', 'WorkQueue', { workspaceId: pool.workspaceId }, 'WorkPool');
        await this.requireListed(em, pool, AccessLevel.VIEW);
        const name = validateName(input.name, 'name', 200);
        if (await em.count(WorkQueue, { workPoolId: pool.id, name })) {
          throw conflict('name', QUEUE_EXISTS);
        }
        const queue = em.create(WorkQueue, {
          workPoolId: pool.id,
          workspaceId: pool.workspaceId,
          name,
          description: validateOptionalText(input.description, 'description', 5000),
          priority: this.priority(input.priority) ?? 1,
          concurrencyLimit: limitOf(input.concurrencyLimit, 'concurrencyLimit'),
          paused: input.paused ?? false,
        } as WorkQueue);
        queue.status = queueStatusOf(queue, pool.status);
        recordEvent(em, 'work-queue.created', { ...this.base(pool), workQueueId: queue.id, name });
        return queue;
      }),
    );
  }

  async updateQueue(input: UpdateWorkQueueInput): Promise<WorkQueue> {
    return conflictOnDuplicate('name', QUEUE_EXISTS, () =>
      this.ctx.transaction(async (em) => {
        const queue = await this.loadQueue(em, input.id);
        authorize(this.ctx, 'update', 'WorkQueue', { workspaceId: queue.workspaceId }, 'WorkQueue');
        if (input.name != null) {
          const name = validateName(input.name, 'name', 200);
          if (name !== queue.name) {
            if (queue.name === DEFAULT_QUEUE)
              throw badInput('name', 'The default queue keeps its name');
            if (await em.count(WorkQueue, { workPoolId: queue.workPoolId, name }))
              throw conflict('name', QUEUE_EXISTS);
            queue.name = name;
          }
        }
        if (input.description !== undefined)
          queue.description = validateOptionalText(input.description, 'description', 5000);
        if (input.priority != null) queue.priority = this.priority(input.priority)!;
        if (input.concurrencyLimit !== undefined)
          queue.concurrencyLimit = limitOf(input.concurrencyLimit, 'concurrencyLimit');
        const pausing = input.paused != null && input.paused !== queue.paused;
        if (input.paused != null) queue.paused = input.paused;
        if (pausing) await syncStatuses(em, [queue.workPoolId]);
        recordEvent(em, 'work-queue.updated', {
          ...eventScope(this.ctx, queue.workspaceId),
          workPoolId: queue.workPoolId,
          workQueueId: queue.id,
        });
        return queue;
      }),
    );
  }

  /** Runs and deployments of a deleted queue move to the pool's default queue. */
  async deleteQueue(id: string): Promise<string> {
    return this.ctx.transaction(async (em) => {
      const queue = await this.loadQueue(em, id);
      authorize(this.ctx, 'delete', 'WorkQueue', { workspaceId: queue.workspaceId }, 'WorkQueue');
      if (queue.name === DEFAULT_QUEUE) throw badInput('id', 'The default queue cannot be deleted');
      const fallback = await em.findOneOrFail(WorkQueue, {
        workPoolId: queue.workPoolId,
        name: DEFAULT_QUEUE,
      });
      await em.nativeUpdate(Deployment, { workQueueId: queue.id }, { workQueueId: fallback.id });
      await em.nativeUpdate(FlowRun, { workQueueId: queue.id }, { workQueueId: fallback.id });
      em.remove(queue);
      // Its deployments moved to the default queue, whose status may differ.
      await syncStatuses(em, [queue.workPoolId]);
      recordEvent(em, 'work-queue.deleted', {
        ...eventScope(this.ctx, queue.workspaceId),
        workPoolId: queue.workPoolId,
        workQueueId: queue.id,
      });
      return queue.id;
    });
  }

  async heartbeat(input: WorkerHeartbeatInput): Promise<Worker> {
    requireAuthenticated(this.ctx.principal);
    const interval = input.heartbeatIntervalSeconds ?? 30;
    if (!Number.isInteger(interval) || interval < 5 || interval > 3600) {
      throw badInput('heartbeatIntervalSeconds', 'An integer from 5 to 3600');
    }
    const name = validateName(input.name, 'name', 200);
    return this.ctx.transaction(async (em) => {
      const pool = await this.loadPool(em, input.workPoolId);
      authorize(this.ctx, 'write', 'Worker', { workspaceId: pool.workspaceId }, 'WorkPool');
      await this.requireListed(em, pool, AccessLevel.RUN);
      const worker = await recordHeartbeat(em, pool, name, interval);
      // A pool without an online worker becomes READY (its queues and deployments with it).
      if (pool.status !== poolStatusOf(pool, 1)) await syncStatuses(em, [pool.id]);
      return worker;
    });
  }

  async claim(input: ClaimFlowRunsInput): Promise<FlowRun[]> {
    requireAuthenticated(this.ctx.principal);
    const limit = input.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw badInput('limit', 'An integer from 1 to 100');
    }
    const workerName = validateName(input.workerName, 'workerName', 200);
    return this.ctx.transaction(async (em) => {
      const pool = await this.loadPool(em, input.workPoolId, false);
      authorize(this.ctx, 'claim', 'FlowRun', { workspaceId: pool.workspaceId }, 'WorkPool');
      await this.requireListed(em, pool, AccessLevel.RUN);
      return claimFlowRuns(em, pool, {
        workerName,
        queueNames: input.queueNames ?? null,
        limit,
        offerHeld: input.offerHeld ?? false,
      });
    });
  }

  async claimForDeployments(input: ClaimDeploymentFlowRunsInput): Promise<FlowRun[]> {
    requireAuthenticated(this.ctx.principal);
    const limit = input.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw badInput('limit', 'An integer from 1 to 100');
    }
    const claimerName = validateName(input.claimerName, 'claimerName', 200);
    const ids = [...new Set(input.deploymentIds)];
    if (!ids.length || ids.length > 100)
      throw badInput('deploymentIds', 'From 1 to 100 deployment ids');
    if (!ids.every((id) => isUuid(id))) throw notFound('Deployment');
    const workspaceId = input.workspaceId;
    authorize(this.ctx, 'claim', 'FlowRun', { workspaceId }, 'Workspace');
    return this.ctx.transaction(async (em) => {
      const found = await em.find(Deployment, { id: { $in: ids }, workspaceId });
      if (found.length !== ids.length) throw notFound('Deployment');
      const deployments = new DeploymentService(this.ctx);
      for (const d of found) await deployments.authorizeDeployment('read', d, em);
      return claimDeploymentFlowRuns(em, ids, { claimerName, limit });
    });
  }

  /** The caller's ability on the work pools of a workspace, narrowed by their access lists. */
  async abilityIn(workspaceId: string, em?: Em): Promise<AppAbility> {
    // Inside a transaction, reads use its entity manager (SQLite has a single connection).
    if (!em) return this.ctx.loaders.workPoolAbility.load(workspaceId);
    const [ability] = await abilitiesWithAcl(this.ctx, em, AccessObjectType.WORK_POOL, 'WorkPool', [
      workspaceId,
    ]);
    return ability!;
  }

  /** `authorize` on one pool, its access list included (NOT_FOUND where the list hides it). */
  async authorizePool(action: string, pool: WorkPool, em?: Em): Promise<void> {
    authorizeObject(
      this.ctx,
      await this.abilityIn(pool.workspaceId, em),
      action,
      'WorkPool',
      { workspaceId: pool.workspaceId, id: pool.id },
      'WorkPool',
    );
  }

  /**
   * Work inside a pool (its queues, heartbeats, claims) needs the pool's access list to name
   * the caller: unlisted is NOT_FOUND; listed below `level` is FORBIDDEN.
   */
  private async requireListed(em: Em, pool: WorkPool, level: AccessLevel): Promise<void> {
    const held = await levelOnObject(this.ctx, em, AccessObjectType.WORK_POOL, pool);
    if (held === 'ALL') return;
    if (!held) throw notFound('WorkPool');
    if (LEVEL_RANK[held] < LEVEL_RANK[level])
      throw forbidden(
        'write_workers',
        `The work pool's access list gives you ${held}; this needs ${level}`,
      );
  }

  private priority(p: number | null | undefined): number | null {
    if (p == null) return null;
    if (!Number.isInteger(p) || p < 1 || p > 1000)
      throw badInput('priority', 'An integer from 1 to 1000');
    return p;
  }

  private async loadPool(em: Em, id: string, lock = true): Promise<WorkPool> {
    requireAuthenticated(this.ctx.principal);
    const pool = isUuid(id) ? await em.findOne(WorkPool, { id }, lock ? forUpdate(em) : {}) : null;
    if (!pool) throw notFound('WorkPool');
    return pool;
  }

  private async loadQueue(em: Em, id: string): Promise<WorkQueue> {
    requireAuthenticated(this.ctx.principal);
    const q = isUuid(id) ? await em.findOne(WorkQueue, { id }) : null;
    if (!q) throw notFound('WorkQueue');
    return q;
  }

  private base(pool: WorkPool) {
    return { workPoolId: pool.id, ...eventScope(this.ctx, pool.workspaceId) };
  }
}

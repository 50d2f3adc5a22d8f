import DataLoader from 'dataloader';
import type { EntityName } from '@mikro-orm/core';
import type { BaseContext, Subgraph } from '../../../lib/subgraph.js';
import type { Em } from '../../../lib/orm.js';
import type { AppAbility } from '../../../lib/ability.js';
import type { Connection } from '../../../lib/pagination.js';
import { isUuid } from '../../../lib/db.js';
import { BlockCrypto } from './blocks/block-crypto.js';
import { blockLoaders } from './blocks/block.loaders.js';
import { incidentLoaders } from './incidents/incident.loaders.js';
import { abilitiesWithAcl } from './object-access/object-access.ability.js';
import { AccessObjectType, ObjectAccess } from './object-access/object-access.entity.js';
import { activeSlots } from './concurrency-limits/concurrency-limit.service.js';
import { Flow } from './flows/flow.entity.js';
import { Deployment } from './deployments/deployment.entity.js';
import { DeploymentSchedule } from './deployments/schedules/schedule.entity.js';
import { FlowRun } from './flow-runs/flow-run.entity.js';
import { TaskRun } from './task-runs/task-run.entity.js';
import { RunState } from './orchestration/run-state.entity.js';
import { WorkPool } from './work-pools/work-pool.entity.js';
import { WorkQueue } from './work-pools/work-queue.entity.js';
import { Worker, WorkerStatus } from './work-pools/worker.entity.js';

/** The operations subgraph's request context: base context plus per-request loaders. */
export interface OperationsContext extends BaseContext {
  /** Loaders return rows unfiltered: callers authorize each one before returning it. */
  loaders: {
    flowById: DataLoader<string, Flow | null>;
    /** Slots held now per concurrency limit. */
    activeSlotsByLimitId: DataLoader<string, number>;
    /** Access lists by "<objectType>:<objectId>". */
    objectAccessByObject: DataLoader<string, ObjectAccess | null>;
    deploymentById: DataLoader<string, Deployment | null>;
    schedulesByDeploymentId: DataLoader<string, DeploymentSchedule[]>;
    flowRunById: DataLoader<string, FlowRun | null>;
    taskRunById: DataLoader<string, TaskRun | null>;
    statesByRunId: DataLoader<string, RunState[]>;
    workPoolById: DataLoader<string, WorkPool | null>;
    workQueueById: DataLoader<string, WorkQueue | null>;
    queuesByPoolId: DataLoader<string, WorkQueue[]>;
    workersByPoolId: DataLoader<string, Worker[]>;
    onlineWorkersByPoolId: DataLoader<string, number>;
    /** The caller's ability for deployments per workspace, narrowed by (inherited) access lists. */
    deploymentAbility: DataLoader<string, AppAbility>;
    /** The caller's ability for work pools per workspace, narrowed by access lists. */
    workPoolAbility: DataLoader<string, AppAbility>;
  } & ReturnType<typeof blockLoaders> &
    ReturnType<typeof incidentLoaders>;
  /**
   * One loader per nested connection and its arguments (e.g. `taskRuns:<first>:<after>`), made
   * on first use: the pages of all the parents of a list are read together (paginateMany).
   */
  connections<T>(
    key: string,
    load: (parents: readonly string[]) => Promise<Connection<T>[]>,
  ): DataLoader<string, Connection<T>>;
  /** Encrypts and decrypts secret block fields with the configured key. */
  blockCrypto: BlockCrypto;
}

function byId<T extends { id: string }>(em: Em, entity: EntityName<T>) {
  return new DataLoader<string, T | null>(async (ids) => {
    const valid = ids.filter(isUuid);
    const rows = valid.length ? await em.find(entity, { id: { $in: valid } } as never) : [];
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

function groupedBy<T extends object>(
  em: Em,
  entity: EntityName<T>,
  key: keyof T & string,
  orderBy: Record<string, 'asc' | 'desc'>,
) {
  return new DataLoader<string, T[]>(async (keys) => {
    const rows = await em.find(entity, { [key]: { $in: [...keys] } } as never, {
      orderBy: orderBy as never,
    });
    const map = new Map<string, T[]>();
    for (const r of rows) {
      const k = r[key] as unknown as string;
      map.set(k, [...(map.get(k) ?? []), r]);
    }
    return keys.map((k) => map.get(k) ?? []);
  });
}

export function extendContext(
  base: BaseContext,
  sub: Subgraph<OperationsContext>,
): OperationsContext {
  const em = base.em;
  const connections = new Map<string, DataLoader<string, Connection<unknown>>>();
  return {
    ...base,
    connections<T>(
      key: string,
      load: (parents: readonly string[]) => Promise<Connection<T>[]>,
    ): DataLoader<string, Connection<T>> {
      let loader = connections.get(key) as DataLoader<string, Connection<T>> | undefined;
      if (!loader) {
        loader = new DataLoader(load);
        connections.set(key, loader as DataLoader<string, Connection<unknown>>);
      }
      return loader;
    },
    blockCrypto: new BlockCrypto(sub.opts.settings?.blockEncryptionKey as Buffer | undefined),
    loaders: {
      ...blockLoaders(em, (ids) =>
        abilitiesWithAcl(base, em, AccessObjectType.BLOCK_DOCUMENT, 'BlockDocument', ids),
      ),
      ...incidentLoaders(em),
      objectAccessByObject: new DataLoader(async (keys) => {
        const pairs = keys.map((k) => k.split(':') as [AccessObjectType, string]);
        const rows = await em.find(ObjectAccess, {
          $or: [...new Set(pairs.map(([t]) => t))].map((t) => ({
            objectType: t,
            objectId: { $in: pairs.filter(([x, id]) => x === t && isUuid(id)).map(([, id]) => id) },
          })),
        });
        const byKey = new Map(rows.map((r) => [`${r.objectType}:${r.objectId}`, r]));
        return keys.map((k) => byKey.get(k) ?? null);
      }),
      deploymentAbility: new DataLoader((ids) =>
        abilitiesWithAcl(base, em, AccessObjectType.DEPLOYMENT, 'Deployment', ids),
      ),
      workPoolAbility: new DataLoader((ids) =>
        abilitiesWithAcl(base, em, AccessObjectType.WORK_POOL, 'WorkPool', ids),
      ),
      activeSlotsByLimitId: new DataLoader(async (ids) => {
        const used = await activeSlots(em, ids);
        return ids.map((id) => used.get(id) ?? 0);
      }),
      flowById: byId(em, Flow),
      deploymentById: byId(em, Deployment),
      schedulesByDeploymentId: groupedBy(em, DeploymentSchedule, 'deploymentId', {
        createdAt: 'asc',
        id: 'asc',
      }),
      flowRunById: byId(em, FlowRun),
      taskRunById: byId(em, TaskRun),
      statesByRunId: groupedBy(em, RunState, 'runId', { timestamp: 'asc', id: 'asc' }),
      workPoolById: byId(em, WorkPool),
      workQueueById: byId(em, WorkQueue),
      queuesByPoolId: groupedBy(em, WorkQueue, 'workPoolId', { priority: 'asc', name: 'asc' }),
      workersByPoolId: groupedBy(em, Worker, 'workPoolId', { name: 'asc' }),
      onlineWorkersByPoolId: new DataLoader<string, number>(async (ids) => {
        const rows: { pool: string; n: number }[] = await em.getConnection().execute(
          em
            .getKnex()('worker')
            .select('work_pool_id as pool')
            .count('* as n')
            .whereIn('work_pool_id', [...ids])
            .andWhere('status', WorkerStatus.ONLINE)
            .groupBy('work_pool_id'),
        );
        const map = new Map(rows.map((r) => [r.pool, Number(r.n)]));
        return ids.map((id) => map.get(id) ?? 0);
      }),
    },
  };
}

import type {
  PrefectWorkerFragment,
  PrefectWorkPoolFragment,
  PrefectWorkQueueFragment,
} from '../generated/graphql.js';

/** The queue runs go to when none is named (every pool has it). */
export const DEFAULT_QUEUE = 'default';

export function toPrefectWorkQueue(
  q: PrefectWorkQueueFragment,
  pool: { id: string; name: string },
) {
  return {
    id: q.id,
    created: q.createdAt,
    updated: q.updatedAt,
    name: q.name,
    description: q.description ?? '',
    is_paused: q.paused,
    concurrency_limit: q.concurrencyLimit ?? null,
    priority: q.priority,
    work_pool_id: pool.id,
    work_pool_name: pool.name,
    filter: null,
    last_polled: null,
    status: q.status,
    active_slots: null,
  };
}

export function toPrefectWorkPool(p: PrefectWorkPoolFragment) {
  const fallback = p.queues.find((q) => q.name === DEFAULT_QUEUE) ?? p.queues[0];
  return {
    id: p.id,
    created: p.createdAt,
    updated: p.updatedAt,
    name: p.name,
    description: p.description ?? null,
    type: p.type,
    base_job_template: p.baseJobTemplate ?? {},
    is_paused: p.paused,
    concurrency_limit: p.concurrencyLimit ?? null,
    status: p.status,
    default_queue_id: fallback?.id ?? null,
    storage_configuration: {
      bundle_upload_step: null,
      bundle_execution_step: null,
      default_result_storage_block_id: null,
    },
    active_slots: null,
  };
}

export function toPrefectWorker(w: PrefectWorkerFragment, poolId: string) {
  return {
    id: w.id,
    created: w.createdAt,
    updated: w.lastHeartbeatAt,
    name: w.name,
    work_pool_id: poolId,
    last_heartbeat_time: w.lastHeartbeatAt,
    heartbeat_interval_seconds: w.heartbeatIntervalSeconds,
    status: w.status,
  };
}

import { subject } from '@casl/ability';
import type { FilterQuery } from '@mikro-orm/core';
import { requireActor, requireAuthenticated } from '../../../../lib/actor.js';
import { accessibleFilter, authorize } from '../../../../lib/ability.js';
import { isUuid } from '../../../../lib/db.js';
import { badInput, forbidden } from '../../../../lib/errors.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { pageSize } from '../../../../lib/pagination.js';
import { eventScope } from '../common/event-scope.js';

import type { OperationsContext } from '../context.js';
import { Worker } from '../work-pools/worker.entity.js';
import { Log } from './log.entity.js';
import type {
  LogConnection,
  LogFilter,
  SetLogRetentionInput,
  WriteLogsInput,
} from './log.inputs.js';
import {
  DEFAULT_LOG_RETENTION_DAYS,
  LogSettings,
  MAX_LOG_RETENTION_DAYS,
} from './log-settings.entity.js';

export const MAX_LOGS_PER_CALL = 1000;
export const MAX_MESSAGE_BYTES = 32 * 1024;

const cursorOf = (l: Log) =>
  Buffer.from(JSON.stringify([l.timestamp.toISOString(), String(l.seq)])).toString('base64url');

function parseCursor(cursor: string): [Date, string] {
  try {
    const [t, seq] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [
      string,
      string,
    ];
    const d = new Date(t);
    if (Number.isNaN(d.getTime()) || !/^\d{1,19}$/.test(seq)) throw new Error('bad');
    return [d, seq];
  } catch {
    throw badInput('after', 'Malformed cursor');
  }
}

function validLevel(level: number | null | undefined, field: string): number {
  if (level == null || !Number.isInteger(level) || level < 0 || level > 50)
    throw badInput(field, 'A level is an integer from 0 to 50');
  return level;
}

/** Run logs: bulk ingest in one statement, keyset-paged reads. */
export class LogService {
  constructor(private readonly ctx: OperationsContext) {}

  /** Stores up to 1,000 lines in one multi-row insert; returns how many were stored. */
  async write(input: WriteLogsInput): Promise<number> {
    // Users, service accounts, and a pushed run's credential (for its own run's lines only).
    if (this.ctx.principal.type !== 'flow_run') requireActor(this.ctx.principal);
    // Checked per run of the batch: rules may be limited to one run (a pushed run's credential).
    // A worker's own line (no run) is refused to a run's credential by the same check.
    const runs = new Set(input.logs.map((l) => l.flowRunId ?? null));
    if (!runs.size) runs.add(null);
    for (const flowRunId of runs)
      authorize(
        this.ctx,
        'create',
        'Log',
        { workspaceId: input.workspaceId, flowRunId },
        'Workspace',
      );
    if (input.logs.length > MAX_LOGS_PER_CALL)
      throw badInput('logs', `At most ${MAX_LOGS_PER_CALL} lines per call`);
    if (!input.logs.length) return 0;
    const now = new Date();
    const rows = input.logs.map((l, i) => {
      const at = `logs.${i}`;
      if (l.flowRunId == null && l.workerId == null)
        throw badInput(`${at}.flowRunId`, 'A line belongs to a flow run, a worker, or both');
      if (l.flowRunId != null && !isUuid(l.flowRunId))
        throw badInput(`${at}.flowRunId`, 'Not a run id (UUID)');
      if (l.workerId != null && !isUuid(l.workerId))
        throw badInput(`${at}.workerId`, 'Not a worker id (UUID)');
      if (l.taskRunId != null && !isUuid(l.taskRunId))
        throw badInput(`${at}.taskRunId`, 'Not a task run id (UUID)');
      if (l.taskRunId != null && l.flowRunId == null)
        throw badInput(`${at}.flowRunId`, 'A task run’s line needs its flow run');
      if (l.level != null && l.levelName != null && l.level !== l.levelName)
        throw badInput(`${at}.level`, 'Give level or levelName, not two different ones');
      const level = validLevel(l.level ?? l.levelName, `${at}.level`);
      if (Buffer.byteLength(l.message, 'utf8') > MAX_MESSAGE_BYTES)
        throw badInput(`${at}.message`, `A message is at most ${MAX_MESSAGE_BYTES} bytes`);
      if (Number.isNaN(l.timestamp.getTime())) throw badInput(`${at}.timestamp`, 'Not a time');
      return {
        workspaceId: input.workspaceId,
        flowRunId: l.flowRunId ?? null,
        taskRunId: l.taskRunId ?? null,
        workerId: l.workerId ?? null,
        level,
        message: l.message,
        timestamp: l.timestamp,
        createdAt: now,
      };
    });
    // The workers the lines name are this workspace's (one query, in SQL).
    const workerIds = [...new Set(rows.flatMap((r) => (r.workerId ? [r.workerId] : [])))];
    if (workerIds.length) {
      const known = new Set(
        (
          await this.ctx.em.find(
            Worker,
            { id: { $in: workerIds }, workspaceId: input.workspaceId },
            { fields: ['id'] },
          )
        ).map((w) => w.id),
      );
      const i = rows.findIndex((r) => r.workerId && !known.has(r.workerId));
      if (i >= 0) throw badInput(`logs.${i}.workerId`, 'No such worker in this workspace');
    }
    // One INSERT … VALUES (…), (…): the sequence follows the order of the batch.
    await this.ctx.em.insertMany(Log, rows as Log[]);
    return rows.length;
  }

  /** Lines ordered by (timestamp, seq): within a run, the order they were logged and sent. */
  async list(
    workspaceId: string,
    args: { first?: number | null; after?: string | null },
    filter?: LogFilter | null,
  ): Promise<LogConnection> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'Log', { workspaceId }, 'Workspace');
    const first = pageSize(args);
    const readable = accessibleFilter(this.ctx.ability, 'read', 'Log');
    if (!readable) throw forbidden('see_logs');
    const where: FilterQuery<Log>[] = [readable as FilterQuery<Log>, { workspaceId }];
    for (const key of ['flowRunId', 'taskRunId', 'workerId'] as const) {
      const id = filter?.[key];
      if (id == null) continue;
      if (!isUuid(id))
        throw badInput(`filter.${key}`, `Not a ${key === 'workerId' ? 'worker' : 'run'} id (UUID)`);
      where.push({ [key]: id });
    }
    // A worker's own lines (no run) are about the worker: they need see_workers too. Asking
    // for one worker's lines without it is refused; otherwise they are left out.
    if (filter?.workerId != null)
      authorize(this.ctx, 'read', 'Worker', { workspaceId }, 'Workspace');
    else if (
      this.ctx.principal.type !== 'system' &&
      !this.ctx.ability.can('read', subject('Worker', { workspaceId }))
    )
      where.push({ flowRunId: { $ne: null } });
    if (filter?.levelAtLeast != null)
      where.push({ level: { $gte: validLevel(filter.levelAtLeast, 'filter.levelAtLeast') } });
    if (filter?.since) where.push({ timestamp: { $gte: filter.since } });
    if (filter?.until) where.push({ timestamp: { $lt: filter.until } });
    const page: FilterQuery<Log>[] = [...where];
    if (args.after) {
      const [t, seq] = parseCursor(args.after);
      page.push({ $or: [{ timestamp: { $gt: t } }, { timestamp: t, seq: { $gt: seq } }] });
    }
    const [rows, totalCount] = await Promise.all([
      this.ctx.em.find(
        Log,
        { $and: page },
        { orderBy: { timestamp: 'asc', seq: 'asc' }, limit: first + 1 },
      ),
      this.ctx.em.count(Log, { $and: where }),
    ]);
    const nodes = rows.slice(0, first);
    return {
      edges: nodes.map((node) => ({ cursor: cursorOf(node), node })),
      pageInfo: {
        hasNextPage: rows.length > first,
        endCursor: nodes.length ? cursorOf(nodes[nodes.length - 1]!) : null,
      },
      totalCount,
    };
  }

  /** Days the workspace keeps its log lines (any member may read it). */
  async retention(workspaceId: string): Promise<number> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'Workspace', { id: workspaceId }, 'Workspace');
    const s = await this.ctx.em.findOne(LogSettings, { workspaceId });
    return s?.retentionDays ?? DEFAULT_LOG_RETENTION_DAYS;
  }

  /** Sets how long the workspace keeps its log lines (needs manage_workspace_settings). */
  async setRetention(input: SetLogRetentionInput): Promise<{ id: string }> {
    requireActor(this.ctx.principal);
    const workspaceId = input.workspaceId;
    authorize(this.ctx, 'update', 'Workspace', { id: workspaceId }, 'Workspace');
    if (!Number.isInteger(input.days) || input.days < 1 || input.days > MAX_LOG_RETENTION_DAYS)
      throw badInput('days', `An integer from 1 to ${MAX_LOG_RETENTION_DAYS}`);
    await this.ctx.transaction(async (em) => {
      const existing = await em.findOne(LogSettings, { workspaceId });
      const previousDays = existing?.retentionDays ?? DEFAULT_LOG_RETENTION_DAYS;
      // An upsert: two first settings at once both succeed (the last one wins).
      await em.upsert(LogSettings, {
        workspaceId,
        retentionDays: input.days,
        updatedAt: new Date(),
      } as LogSettings);
      recordEvent(em, 'workspace.log-retention-set', {
        ...eventScope(this.ctx, workspaceId),
        days: input.days,
        previousDays,
      });
    });
    return { id: workspaceId };
  }
}

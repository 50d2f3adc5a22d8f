import type { FilterQuery } from '@mikro-orm/core';
import { requireActor, requireAuthenticated } from '../../../../lib/actor.js';
import { accessibleFilter, authorize } from '../../../../lib/ability.js';
import { forUpdate, isUuid } from '../../../../lib/db.js';
import { badInput, forbidden, notFound } from '../../../../lib/errors.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { pageSize, paginate } from '../../../../lib/pagination.js';
import { validateOptionalText, validateUrl } from '../../../../lib/validation.js';
import { accountOf, jsonBytes } from '../common/caller.js';
import type { OperationsContext } from '../context.js';
import type { Em } from '../../../../lib/orm.js';
import { lockRunForChildren } from '../flow-runs/flow-run.cleanup.js';
import { Artifact, ArtifactType } from './artifact.entity.js';
import type { ArtifactConnection, ArtifactFilter, CreateArtifactInput } from './artifact.inputs.js';

const KEY = /^[a-z0-9][a-z0-9-]{0,199}$/;
export const MAX_ARTIFACT_BYTES = 1024 * 1024;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function validateKey(key: string, field = 'key'): string {
  if (!KEY.test(key)) throw badInput(field, 'An artifact key is 1 to 200 of a-z, 0-9 and "-"');
  return key;
}

/** Checks that `data` has the shape its type promises, so every UI can render it. */
export function validateArtifactData(type: ArtifactType, data: unknown): unknown {
  const fail = (msg: string) => badInput('data', msg);
  if (data === null || data === undefined) throw fail('Artifact data is required');
  if (jsonBytes(data) > MAX_ARTIFACT_BYTES) throw fail('Artifact data is at most 1 MiB of JSON');
  switch (type) {
    case ArtifactType.MARKDOWN:
      if (typeof data !== 'string') throw fail('A MARKDOWN artifact is a string');
      return data;
    case ArtifactType.PROGRESS:
      if (typeof data !== 'number' || !Number.isFinite(data) || data < 0 || data > 100)
        throw fail('A PROGRESS artifact is a number from 0 to 100');
      return data;
    case ArtifactType.LINK:
    case ArtifactType.IMAGE: {
      const label = type === ArtifactType.LINK ? 'text' : 'alt';
      const obj = typeof data === 'string' ? { url: data } : data;
      if (!isObject(obj) || typeof obj.url !== 'string')
        throw fail(`A ${type} artifact is a URL or { url, ${label} }`);
      validateUrl(obj.url, 'data');
      const extra = Object.keys(obj).filter((k) => k !== 'url' && k !== label);
      if (extra.length || (obj[label] !== undefined && typeof obj[label] !== 'string'))
        throw fail(`A ${type} artifact is a URL or { url, ${label} } with a string ${label}`);
      return data;
    }
    case ArtifactType.TABLE: {
      if (Array.isArray(data)) {
        if (!data.every(isObject)) throw fail('A TABLE artifact given as a list holds row objects');
        return data;
      }
      if (isObject(data)) {
        const cols = Object.values(data);
        if (!cols.length || !cols.every(Array.isArray))
          throw fail('A TABLE artifact given as an object maps column names to lists');
        if (new Set(cols.map((c) => (c as unknown[]).length)).size > 1)
          throw fail('The columns of a TABLE artifact have the same length');
        return data;
      }
      throw fail('A TABLE artifact is a list of rows or an object of columns');
    }
    default:
      throw badInput('type', 'Unknown artifact type');
  }
}

/** Artifacts: create, read, list, and the latest of a key. */
export class ArtifactService {
  constructor(private readonly ctx: OperationsContext) {}

  async create(input: CreateArtifactInput): Promise<Artifact> {
    // Users, service accounts, and a pushed run's credential (artifacts of its own run only).
    if (this.ctx.principal.type !== 'flow_run') requireActor(this.ctx.principal);
    authorize(
      this.ctx,
      'create',
      'Artifact',
      { workspaceId: input.workspaceId, flowRunId: input.flowRunId ?? undefined },
      'Workspace',
    );
    const key = input.key == null ? null : validateKey(input.key);
    if (!Object.values(ArtifactType).includes(input.type))
      throw badInput('type', 'Unknown artifact type');
    const data = validateArtifactData(input.type, input.data);
    const description = validateOptionalText(input.description, 'description', 10_000);
    for (const f of ['flowRunId', 'taskRunId'] as const)
      if (input[f] != null && !isUuid(input[f])) throw badInput(f, 'Not a run id (UUID)');
    return this.ctx.transaction(async (em) => {
      const flowRunId = await this.checkRuns(em, input);
      // Rules may be limited to one run (a pushed run's credential): checked on the run it is for.
      authorize(
        this.ctx,
        'create',
        'Artifact',
        { workspaceId: input.workspaceId, flowRunId: flowRunId ?? undefined },
        'Workspace',
      );
      // Versions of a key are strictly ordered by creation time, even within one millisecond,
      // so "latest" is never a coin toss between two rows.
      const previous = key
        ? await em.findOne(
            Artifact,
            { workspaceId: input.workspaceId, key },
            { orderBy: { createdAt: 'desc', id: 'desc' }, ...forUpdate(em) },
          )
        : null;
      const now = new Date();
      const createdAt =
        previous && previous.createdAt >= now ? new Date(previous.createdAt.getTime() + 1) : now;
      const a = em.create(Artifact, {
        createdAt,
        workspaceId: input.workspaceId,
        key,
        type: input.type,
        data,
        description,
        flowRunId: input.flowRunId ?? null,
        taskRunId: input.taskRunId ?? null,
      } as Artifact);
      recordEvent(em, 'artifact.created', {
        artifactId: a.id,
        workspaceId: a.workspaceId,
        accountId: accountOf(this.ctx.grants, a.workspaceId),
        key,
        type: a.type,
        flowRunId: a.flowRunId,
      });
      return a;
    });
  }

  /**
   * The runs an artifact names are runs of its workspace, resolved there in SQL (a run of
   * another workspace is answered like one that does not exist); a task run and a flow run
   * named together belong together. They are locked against their deletion until the artifact
   * is written (`lockRunForChildren`), so it never outlives them. Returns the flow run it
   * belongs to (through its task run too).
   */
  private async checkRuns(em: Em, input: CreateArtifactInput): Promise<string | null> {
    const workspaceId = input.workspaceId;
    if (
      input.flowRunId != null &&
      !(await lockRunForChildren(em, 'FLOW', { id: input.flowRunId, workspaceId }))
    )
      throw badInput('flowRunId', 'No such flow run in this workspace');
    if (input.taskRunId != null) {
      const task = await lockRunForChildren(em, 'TASK', { id: input.taskRunId, workspaceId });
      if (!task) throw badInput('taskRunId', 'No such task run in this workspace');
      if (input.flowRunId != null && task.flowRunId !== input.flowRunId)
        throw badInput('taskRunId', 'The task run belongs to another flow run');
      return task.flowRunId;
    }
    return input.flowRunId ?? null;
  }

  async get(id: string): Promise<Artifact> {
    requireAuthenticated(this.ctx.principal);
    const a = isUuid(id) ? await this.ctx.em.findOne(Artifact, { id }) : null;
    if (!a) throw notFound('Artifact');
    authorize(this.ctx, 'read', 'Artifact', { workspaceId: a.workspaceId }, 'Artifact');
    return a;
  }

  /** The newest artifact of a key (by creation time); null when the key has none. */
  async latest(workspaceId: string, key: string): Promise<Artifact | null> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'Artifact', { workspaceId }, 'Workspace');
    validateKey(key);
    return this.ctx.em.findOne(
      Artifact,
      { workspaceId, key },
      { orderBy: { createdAt: 'desc', id: 'desc' } },
    );
  }

  async list(
    workspaceId: string,
    args: { first?: number | null; after?: string | null },
    filter?: ArtifactFilter | null,
  ): Promise<ArtifactConnection> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'Artifact', { workspaceId }, 'Workspace');
    pageSize(args);
    const readable = accessibleFilter(this.ctx.ability, 'read', 'Artifact');
    if (!readable) throw forbidden('see_artifacts');
    const where: FilterQuery<Artifact>[] = [readable as FilterQuery<Artifact>, { workspaceId }];
    if (filter?.key != null) where.push({ key: validateKey(filter.key, 'filter.key') });
    if (filter?.type != null) where.push({ type: filter.type });
    for (const f of ['flowRunId', 'taskRunId'] as const) {
      const id = filter?.[f];
      if (id == null) continue;
      if (!isUuid(id)) throw badInput(`filter.${f}`, 'Not a run id (UUID)');
      where.push({ [f]: id });
    }
    return paginate(this.ctx.em, Artifact, { $and: where }, args);
  }
}

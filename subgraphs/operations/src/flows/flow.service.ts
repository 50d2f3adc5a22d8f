import { subject } from '@casl/ability';
import { UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import { accessibleFilter, authorize } from '../../../../lib/ability.js';
import {
  badInput,
  conflict,
  forbidden,
  notFound,
  unauthenticated,
} from '../../../../lib/errors.js';
import type { Em } from '../../../../lib/orm.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { paginate } from '../../../../lib/pagination.js';
import type { OperationsContext } from '../context.js';
import { isUuid, isPostgres, withinWorkspace } from '../../../../lib/db.js';
import { deleteFlowData } from './flow.consumers.js';
import { Flow } from './flow.entity.js';
import type {
  CreateFlowInput,
  FlowConnection,
  FlowFilter,
  UpdateFlowInput,
} from './flow.inputs.js';
import { validateFlowName, validateLabels, validateTags } from './flow.validation.js';
import { ActorType } from '../../../../lib/graphql-enums.js';

const DUPLICATE_NAME = 'A flow with this name exists in the workspace';

/** Flows of a workspace: create, change, delete, read and list. */
export class FlowService {
  constructor(private readonly ctx: OperationsContext) {}

  async create(input: CreateFlowInput): Promise<Flow> {
    const creator = this.actor();
    authorize(this.ctx, 'create', 'Flow', { workspaceId: input.workspaceId }, 'Workspace');
    const name = validateFlowName(input.name);
    const tags = validateTags(input.tags ?? []);
    const labels = input.labels == null ? {} : validateLabels(input.labels);
    return this.uniqueName(() =>
      this.ctx.transaction(async (em) => {
        if (await em.count(Flow, { workspaceId: input.workspaceId, name })) {
          throw conflict('name', DUPLICATE_NAME);
        }
        const flow = em.create(Flow, {
          workspaceId: input.workspaceId,
          name,
          tags,
          labels,
          createdByType: creator.type,
          createdById: creator.id,
        } as Flow);
        recordEvent(em, 'flow.created', { ...this.eventBase(flow), name, tags });
        return flow;
      }),
    );
  }

  /**
   * The flow of this name in the workspace, created when absent (how Prefect clients register
   * the flow they are about to run): an existing flow needs see_flows, a new one manage_flows.
   * Tags and labels apply only to a new flow.
   */
  async ensure(input: CreateFlowInput): Promise<Flow> {
    this.actor();
    const name = validateFlowName(input.name);
    const existing = await this.ctx.em.findOne(Flow, { workspaceId: input.workspaceId, name });
    if (existing) {
      authorize(this.ctx, 'read', 'Flow', { workspaceId: existing.workspaceId }, 'Flow');
      return existing;
    }
    try {
      return await this.create(input);
    } catch (err) {
      // Another client registered it meanwhile.
      const code = (err as { extensions?: { code?: string } }).extensions?.code;
      if (code !== 'CONFLICT') throw err;
      const winner = await this.ctx.em
        .fork()
        .findOne(Flow, { workspaceId: input.workspaceId, name });
      if (!winner) throw err;
      return winner;
    }
  }

  async update(input: UpdateFlowInput): Promise<Flow> {
    return this.uniqueName(() =>
      this.ctx.transaction(async (em) => {
        const flow = await this.load(em, input.id);
        authorize(this.ctx, 'update', 'Flow', { workspaceId: flow.workspaceId }, 'Flow');
        const changes: Partial<Pick<Flow, 'name' | 'tags' | 'labels'>> = {};
        if (input.name != null) changes.name = validateFlowName(input.name);
        if (input.tags != null) changes.tags = validateTags(input.tags);
        if (input.labels != null) changes.labels = validateLabels(input.labels);
        if (
          changes.name !== undefined &&
          changes.name !== flow.name &&
          (await em.count(Flow, { workspaceId: flow.workspaceId, name: changes.name }))
        ) {
          throw conflict('name', DUPLICATE_NAME);
        }
        const before = { name: flow.name, tags: flow.tags, labels: flow.labels };
        em.assign(flow, changes);
        recordEvent(em, 'flow.updated', {
          ...this.eventBase(flow),
          fields: Object.keys(changes),
          before,
        });
        return flow;
      }),
    );
  }

  async delete(id: string): Promise<string> {
    return this.ctx.transaction(async (em) => {
      const flow = await this.load(em, id);
      authorize(this.ctx, 'delete', 'Flow', { workspaceId: flow.workspaceId }, 'Flow');
      await deleteFlowData(em, { workspaceId: flow.workspaceId, flowId: flow.id });
      em.remove(flow);
      recordEvent(em, 'flow.deleted', { ...this.eventBase(flow), name: flow.name });
      return flow.id;
    });
  }

  /**
   * NOT_FOUND both for a missing flow and for one in a workspace the caller is not in (or
   * outside `workspaceId`, when given).
   */
  async get(id: string, workspaceId?: string | null): Promise<Flow> {
    this.authenticated();
    const flow = isUuid(id)
      ? withinWorkspace(await this.ctx.loaders.flowById.load(id), workspaceId)
      : null;
    if (!flow) throw notFound('Flow');
    authorize(this.ctx, 'read', 'Flow', { workspaceId: flow.workspaceId, id: flow.id }, 'Flow');
    return flow;
  }

  /**
   * For entity references from other subgraphs: the flow, or null when the caller may not see
   * it. Without a promise when the request has read the flow already (see `prefetch`).
   */
  reference(id: string): Flow | null | Promise<Flow | null> {
    const known = this.ctx.loaders.flowRefById.peek(id);
    if (known !== undefined) return this.readable(known);
    if (!isUuid(id)) return null;
    return this.ctx.loaders.flowRefById.load(id).then((flow) => this.readable(flow));
  }

  /** Reads the flows of `ids` in one statement, so that `reference` answers them at once. */
  async prefetch(ids: Iterable<string>): Promise<void> {
    const wanted = [...new Set(ids)].filter(isUuid);
    if (wanted.length) await this.ctx.loaders.flowRefById.loadMany(wanted);
  }

  private readable(flow: Flow | null): Flow | null {
    return flow &&
      this.ctx.ability.can('read', subject('Flow', { workspaceId: flow.workspaceId, id: flow.id }))
      ? flow
      : null;
  }

  /** One page of a workspace's flows, filtered in SQL by what the caller may read. */
  async listForWorkspace(
    workspaceId: string,
    args: { first?: number | null; after?: string | null },
    filter?: FlowFilter | null,
  ): Promise<FlowConnection> {
    this.authenticated();
    authorize(this.ctx, 'read', 'Flow', { workspaceId }, 'Workspace');
    const readable = accessibleFilter(this.ctx.ability, 'read', 'Flow');
    if (!readable) throw forbidden('see_flows');
    const where: FilterQuery<Flow>[] = [readable as FilterQuery<Flow>, { workspaceId }];
    const matching = this.filterSubquery(workspaceId, filter);
    if (matching) where.push({ id: { $in: matching as never } });
    return paginate(this.ctx.em, Flow, { $and: where }, args);
  }

  /**
   * The ids of a workspace's flows matching the filter, as a subquery: name substring (LIKE with
   * its wildcards escaped) and tag containment need dialect SQL that MikroORM filters lack, and a
   * subquery can serve both the page query and the count.
   */
  private filterSubquery(workspaceId: string, filter?: FlowFilter | null) {
    const nameContains = filter?.nameContains ?? '';
    const tags = filter?.tags?.length ? validateTags(filter.tags, 'filter.tags') : [];
    if (nameContains.length > 200) throw badInput('filter.nameContains', 'At most 200 characters');
    if (!nameContains && !tags.length) return null;
    const em = this.ctx.em;
    const knex = em.getKnex();
    const qb = knex('flow as ft').select('ft.id').where('ft.workspace_id', workspaceId);
    if (nameContains) {
      const pattern = `%${nameContains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      qb.whereRaw(`lower(ft.name) like lower(?) escape '\\'`, [pattern]);
    }
    if (tags.length) {
      if (isPostgres(em)) {
        qb.whereRaw('ft.tags::jsonb @> ?::jsonb', [JSON.stringify(tags)]);
      } else {
        for (const tag of tags) {
          qb.whereRaw('exists (select 1 from json_each(ft.tags) as t where t.value = ?)', [tag]);
        }
      }
    }
    return qb;
  }

  private async load(em: Em, id: string): Promise<Flow> {
    this.actor();
    const flow = isUuid(id) ? await em.findOne(Flow, { id }) : null;
    if (!flow) throw notFound('Flow');
    return flow;
  }

  /** The user or service account making a change (UNAUTHENTICATED for anyone else). */
  private actor(): { type: ActorType; id: string } {
    const p = this.ctx.principal;
    if (p.type === 'user') return { type: ActorType.USER, id: p.id };
    if (p.type === 'service_account') return { type: ActorType.SERVICE_ACCOUNT, id: p.id };
    throw unauthenticated();
  }

  private authenticated(): void {
    if (this.ctx.principal.type === 'anonymous') throw unauthenticated();
  }

  private eventBase(flow: Flow) {
    return {
      flowId: flow.id,
      workspaceId: flow.workspaceId,
      accountId: this.ctx.grants.workspaces[flow.workspaceId]?.accountId ?? null,
    };
  }

  private async uniqueName<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw conflict('name', DUPLICATE_NAME);
      throw err;
    }
  }
}

import { subject } from '@casl/ability';
import { requireActor, requireAuthenticated } from '../../../../lib/actor.js';
import type { FilterQuery } from '@mikro-orm/core';
import { accessibleFilter, authorize } from '../../../../lib/ability.js';
import { forUpdate, isUuid } from '../../../../lib/db.js';
import { badInput, forbidden, notFound } from '../../../../lib/errors.js';
import type { Em } from '../../../../lib/orm.js';
import { paginate, pageSize } from '../../../../lib/pagination.js';

import { Automation } from '../automations/automation.entity.js';
import type { OperationsContext } from '../context.js';
import { DeploymentService } from '../deployments/deployment.service.js';
import { findEventOfCaller } from '../events/event.service.js';
import { FlowRunService } from '../flow-runs/flow-run.service.js';
import { FlowService } from '../flows/flow.service.js';
import { validateTags } from '../flows/flow.validation.js';
import { WorkPoolService } from '../work-pools/work-pool.service.js';
import { whereJsonArrayContains } from '../common/sql.js';
import {
  commentOnIncident,
  declareIncident,
  setIncidentStatus,
  updateIncident,
  validateResourceRefs,
  type IncidentAuthor,
  type ResourceRef,
} from './incident.changes.js';
import { Incident, IncidentResourceKind, IncidentStatus } from './incident.entity.js';
import type {
  DeclareIncidentInput,
  IncidentCommentInput,
  IncidentFilter,
  UpdateIncidentInput,
} from './incident.inputs.js';
import { stepOf, timelinePage } from './incident.timeline.js';
import type {
  IncidentChange,
  IncidentConnection,
  IncidentResource,
  IncidentTimelineConnection,
} from './incident.types.js';

type Page = { first?: number | null; after?: string | null };

/** Incidents of a workspace: declare, change, comment, resolve, reopen; read, list, timeline. */
export class IncidentService {
  constructor(private readonly ctx: OperationsContext) {}

  async declare(input: DeclareIncidentInput): Promise<Incident> {
    const by = this.author(input.workspaceId);
    authorize(this.ctx, 'create', 'Incident', { workspaceId: input.workspaceId }, 'Workspace');
    const refs = await this.visibleRefs(input.relatedResources);
    return this.ctx.transaction((em) =>
      declareIncident(
        em,
        {
          workspaceId: input.workspaceId,
          name: input.name,
          summary: input.summary,
          severity: input.severity,
          startTime: input.startTime,
          relatedResources: refs,
          tags: input.tags,
        },
        by,
      ),
    );
  }

  async update(input: UpdateIncidentInput): Promise<Incident> {
    // Checked before the transaction: visibility reads go through the request's loaders.
    const current = await this.load(input.id);
    authorize(this.ctx, 'update', 'Incident', { workspaceId: current.workspaceId }, 'Incident');
    const by = this.author(current.workspaceId);
    const refs = await this.visibleRefs(input.relatedResources);
    return this.ctx.transaction(async (em) => {
      const incident = await this.lock(em, input.id);
      await updateIncident(
        em,
        incident,
        {
          name: input.name,
          summary: input.summary,
          severity: input.severity,
          startTime: input.startTime,
          tags: input.tags,
          relatedResources: refs,
        },
        by,
      );
      return incident;
    });
  }

  async comment(input: IncidentCommentInput): Promise<Incident> {
    return this.mutate(input.incidentId, (em, incident, by) =>
      commentOnIncident(em, incident, input.body, by),
    );
  }

  async setStatus(id: string, status: IncidentStatus): Promise<Incident> {
    return this.mutate(id, (em, incident, by) => setIncidentStatus(em, incident, status, by));
  }

  async get(id: string): Promise<Incident> {
    const incident = await this.load(id);
    authorize(this.ctx, 'read', 'Incident', { workspaceId: incident.workspaceId }, 'Incident');
    return incident;
  }

  /** For nested fields: the incident, or null when missing or not visible to the caller. */
  async visible(id: string): Promise<Incident | null> {
    const incident = isUuid(id) ? await this.ctx.loaders.incidentById.load(id) : null;
    return incident && this.canRead(incident.workspaceId) ? incident : null;
  }

  /** An automation (an incident's actor) the caller may see, or null. */
  async visibleAutomation(id: string): Promise<Automation | null> {
    const a = isUuid(id) ? await this.ctx.loaders.automationById.load(id) : null;
    return a && this.ctx.ability.can('read', subject('Automation', { workspaceId: a.workspaceId }))
      ? a
      : null;
  }

  async list(
    workspaceId: string,
    args: Page,
    filter?: IncidentFilter | null,
  ): Promise<IncidentConnection> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'Incident', { workspaceId }, 'Workspace');
    pageSize(args);
    const readable = accessibleFilter(this.ctx.ability, 'read', 'Incident');
    if (!readable) throw forbidden('see_incidents');
    const where: FilterQuery<Incident>[] = [readable as FilterQuery<Incident>, { workspaceId }];
    if (filter?.status) where.push({ status: filter.status });
    if (filter?.severities?.length) where.push({ severity: { $in: filter.severities } });
    const tags = filter?.tags?.length ? validateTags(filter.tags, 'filter.tags') : [];
    const em = this.ctx.em;
    if (tags.length) {
      const qb = em
        .getKnex()('incident as it')
        .select('it.id')
        .where('it.workspace_id', workspaceId);
      whereJsonArrayContains(em, qb, 'it.tags', tags);
      where.push({ id: { $in: qb as never } });
    }
    if (filter?.relatedResourceId != null) {
      if (!isUuid(filter.relatedResourceId))
        throw badInput('filter.relatedResourceId', 'An object id (UUID)');
      const qb = em.getKnex()('incident_resource as ir').select('ir.incident_id').where({
        'ir.workspace_id': workspaceId,
        'ir.resource_id': filter.relatedResourceId.toLowerCase(),
      });
      where.push({ id: { $in: qb as never } });
    }
    return paginate(em, Incident, { $and: where }, args);
  }

  async timeline(incident: Incident, args: Page): Promise<IncidentTimelineConnection> {
    return timelinePage(this.ctx.em, incident, args);
  }

  /** The related objects, in their order. */
  async resources(incident: Incident): Promise<IncidentResource[]> {
    const rows = await this.ctx.loaders.incidentResourcesByIncidentId.load(incident.id);
    return rows.map((r) => ({ kind: r.kind, id: r.resourceId }));
  }

  /**
   * The incident change an event records, or null when the event is not an incident change or
   * the caller may not see the workspace's incidents (subscriptions resolve each live event so).
   */
  async change(eventId: string): Promise<IncidentChange | null> {
    requireAuthenticated(this.ctx.principal);
    const e = await findEventOfCaller(this.ctx, eventId);
    if (!e || !this.canRead(e.workspaceId)) return null;
    return stepOf(e);
  }

  /** One locked change of an incident by the caller (needs manage_incidents). */
  private async mutate(
    id: string,
    fn: (em: Em, incident: Incident, by: IncidentAuthor) => Promise<unknown>,
  ): Promise<Incident> {
    const current = await this.load(id);
    authorize(this.ctx, 'update', 'Incident', { workspaceId: current.workspaceId }, 'Incident');
    const by = this.author(current.workspaceId);
    return this.ctx.transaction(async (em) => {
      const incident = await this.lock(em, id);
      await fn(em, incident, by);
      return incident;
    });
  }

  private canRead(workspaceId: string): boolean {
    return this.ctx.ability.can('read', subject('Incident', { workspaceId }));
  }

  /** The caller as the author of a change (users and service accounts only). */
  private author(workspaceId: string): IncidentAuthor {
    return {
      actor: requireActor(this.ctx.principal),
      accountId: this.ctx.grants.workspaces[workspaceId]?.accountId ?? null,
    };
  }

  /** Unauthorized: callers authorize (a non-member gets NOT_FOUND from `authorize`). */
  private async load(id: string): Promise<Incident> {
    requireAuthenticated(this.ctx.principal);
    const incident = isUuid(id) ? await this.ctx.loaders.incidentById.load(id) : null;
    if (!incident) throw notFound('Incident');
    return incident;
  }

  private async lock(em: Em, id: string): Promise<Incident> {
    const incident = await em.findOne(Incident, { id }, forUpdate(em));
    if (!incident) throw notFound('Incident');
    return incident;
  }

  /**
   * Related objects the caller names must be visible to them (role and access lists): one they
   * may not see is reported like a missing one. Existence in the workspace is checked in the
   * write's transaction.
   */
  private async visibleRefs(
    refs: readonly ResourceRef[] | null | undefined,
  ): Promise<ResourceRef[] | null> {
    if (refs == null) return null;
    const valid = validateResourceRefs(refs);
    const ctx = this.ctx;
    const visible = await Promise.all(
      valid.map(async (r): Promise<boolean> => {
        switch (r.kind) {
          case IncidentResourceKind.FLOW_RUN:
            return Boolean(await new FlowRunService(ctx).visible(r.id));
          case IncidentResourceKind.DEPLOYMENT:
            return Boolean(await new DeploymentService(ctx).visible(r.id));
          case IncidentResourceKind.WORK_POOL:
            return Boolean(await new WorkPoolService(ctx).visiblePool(r.id));
          case IncidentResourceKind.WORK_QUEUE:
            return Boolean(await new WorkPoolService(ctx).visibleQueue(r.id));
          case IncidentResourceKind.FLOW:
            return Boolean(await new FlowService(ctx).reference(r.id));
          case IncidentResourceKind.BLOCK_DOCUMENT:
            return Boolean(await visibleBlockDocument(ctx, r.id));
        }
      }),
    );
    const hidden = valid.findIndex((_r, i) => !visible[i]);
    if (hidden >= 0)
      throw badInput(
        'relatedResources',
        `No such ${valid[hidden]!.kind} in this workspace: ${valid[hidden]!.id}`,
      );
    return valid;
  }
}

/** A block document the caller may see (role and access list), or null. */
export async function visibleBlockDocument(ctx: OperationsContext, id: string) {
  const doc = isUuid(id) ? await ctx.loaders.blockDocumentById.load(id) : null;
  if (!doc) return null;
  const ability = await ctx.loaders.blockAbility.load(doc.workspaceId);
  return ability.can('read', subject('BlockDocument', { workspaceId: doc.workspaceId, id: doc.id }))
    ? doc
    : null;
}

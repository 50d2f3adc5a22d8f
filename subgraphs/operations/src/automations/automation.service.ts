import type { FilterQuery } from '@mikro-orm/core';
import { requireAuthenticated } from '../../../../lib/actor.js';
import DataLoader from 'dataloader';
import { accessibleFilter, authorize } from '../../../../lib/ability.js';
import { forUpdate, isUuid } from '../../../../lib/db.js';
import { badInput, forbidden, notFound } from '../../../../lib/errors.js';
import type { Em } from '../../../../lib/orm.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { paginate, pageSize } from '../../../../lib/pagination.js';
import { validateName, validateOptionalText } from '../../../../lib/validation.js';
import { eventScope } from '../common/event-scope.js';
import { likeLiteral } from '../common/sql.js';
import type { OperationsContext } from '../context.js';
import type { AutomationAuthority, StoredAction } from './actions/action.types.js';
import { validateActions } from './actions/action.validation.js';
import { Automation } from './automation.entity.js';
import type {
  AutomationConnection,
  AutomationFilter,
  AutomationState,
  CreateAutomationInput,
  SetAutomationEnabledInput,
  UpdateAutomationInput,
} from './automation.inputs.js';
import { applyEnabled, bumpRevision, resetBuckets } from './automation.lifecycle.js';
import { AutomationBucket } from './evaluation/bucket.entity.js';
import { validateTrigger } from './triggers/trigger.validation.js';

const BUCKETS_SHOWN = 100;
const bucketLoaders = new WeakMap<OperationsContext, DataLoader<string, AutomationBucket[]>>();

/** Per request: the most recently changed buckets of each automation, in one query per batch. */
function bucketsOf(ctx: OperationsContext): DataLoader<string, AutomationBucket[]> {
  let loader = bucketLoaders.get(ctx);
  if (!loader) {
    loader = new DataLoader(async (ids) => {
      const rows = await ctx.em.find(
        AutomationBucket,
        { automationId: { $in: [...ids] } },
        { orderBy: { updatedAt: 'desc', id: 'asc' } },
      );
      return ids.map((id) => rows.filter((r) => r.automationId === id).slice(0, BUCKETS_SHOWN));
    });
    bucketLoaders.set(ctx, loader);
  }
  return loader;
}

const allActions = (a: Automation): StoredAction[] => [
  ...a.actions,
  ...a.actionsOnTrigger,
  ...a.actionsOnResolve,
];

/** Automations of a workspace: create, change, enable, delete, read, list. */
export class AutomationService {
  constructor(private readonly ctx: OperationsContext) {}

  async create(input: CreateAutomationInput): Promise<Automation> {
    requireAuthenticated(this.ctx.principal);
    const workspaceId = input.workspaceId;
    authorize(this.ctx, 'create', 'Automation', { workspaceId }, 'Workspace');
    const a = new Automation();
    a.workspaceId = workspaceId;
    a.name = validateName(input.name, 'name', 200);
    a.description = validateOptionalText(input.description, 'description', 5000);
    a.enabled = input.enabled ?? true;
    a.ownerResource = validateOptionalText(input.ownerResource, 'ownerResource', 500);
    a.trigger = validateTrigger(input.trigger);
    const scope = { workspaceId, automationId: a.id, previous: new Map<string, StoredAction>() };
    a.actions = await validateActions(this.ctx, scope, input.actions, 'actions');
    a.actionsOnTrigger = await validateActions(
      this.ctx,
      scope,
      input.actionsOnTrigger,
      'actionsOnTrigger',
    );
    a.actionsOnResolve = await validateActions(
      this.ctx,
      scope,
      input.actionsOnResolve,
      'actionsOnResolve',
    );
    if (!allActions(a).length)
      throw badInput('actions', 'At least one action (DO_NOTHING only records the firing)');
    a.authority = this.authority(workspaceId);
    return this.ctx.transaction(async (em) => {
      em.persist(a);
      await resetBuckets(em, a);
      await bumpRevision(em, workspaceId);
      recordEvent(em, 'automation.created', { ...this.base(a), name: a.name });
      return a;
    });
  }

  /** Validates against the stored automation first (reads stay outside the transaction). */
  async update(input: UpdateAutomationInput): Promise<Automation> {
    requireAuthenticated(this.ctx.principal);
    const current = isUuid(input.id)
      ? await this.ctx.em.findOne(Automation, { id: input.id })
      : null;
    if (!current) throw notFound('Automation');
    const workspaceId = current.workspaceId;
    authorize(this.ctx, 'update', 'Automation', { workspaceId }, 'Automation');
    const changes: Partial<Automation> = {};
    if (input.name != null) changes.name = validateName(input.name, 'name', 200);
    if (input.description !== undefined)
      changes.description = validateOptionalText(input.description, 'description', 5000) || null;
    if (input.trigger != null) changes.trigger = validateTrigger(input.trigger);
    const previous = new Map(allActions(current).map((x) => [x.id, x]));
    const scope = { workspaceId, automationId: current.id, previous };
    for (const key of ['actions', 'actionsOnTrigger', 'actionsOnResolve'] as const)
      if (input[key] != null)
        changes[key] = await validateActions(this.ctx, scope, input[key], key);
    if (input.enabled != null) changes.enabled = input.enabled;
    // Whoever sets what it does, or when, is whom it acts for from now on.
    if (
      input.trigger != null ||
      input.actions != null ||
      input.actionsOnTrigger != null ||
      input.actionsOnResolve != null
    )
      changes.authority = this.authority(workspaceId);
    return this.ctx.transaction(async (em) => {
      const a = await this.load(em, input.id);
      const fields = Object.keys(changes).filter(
        (k) =>
          JSON.stringify(changes[k as keyof Automation]) !==
          JSON.stringify(a[k as keyof Automation]),
      );
      const restart = fields.includes('trigger') || (fields.includes('enabled') && changes.enabled);
      Object.assign(a, changes);
      if (!allActions(a).length)
        throw badInput('actions', 'At least one action (DO_NOTHING only records the firing)');
      a.updatedAt = new Date();
      if (restart) await resetBuckets(em, a);
      await bumpRevision(em, a.workspaceId);
      recordEvent(em, 'automation.updated', { ...this.base(a), fields });
      return a;
    });
  }

  async setEnabled(input: SetAutomationEnabledInput): Promise<Automation> {
    requireAuthenticated(this.ctx.principal);
    return this.ctx.transaction(async (em) => {
      const a = await this.load(em, input.id);
      authorize(this.ctx, 'update', 'Automation', { workspaceId: a.workspaceId }, 'Automation');
      await applyEnabled(em, a, input.enabled, eventScope(this.ctx, a.workspaceId));
      return a;
    });
  }

  /** Its evaluation state goes with it; webhook calls already fired still go out. */
  async delete(id: string): Promise<string> {
    requireAuthenticated(this.ctx.principal);
    return this.ctx.transaction(async (em) => {
      const a = await this.load(em, id);
      authorize(this.ctx, 'delete', 'Automation', { workspaceId: a.workspaceId }, 'Automation');
      await em.nativeDelete(AutomationBucket, { automationId: a.id });
      em.remove(a);
      await bumpRevision(em, a.workspaceId);
      recordEvent(em, 'automation.deleted', { ...this.base(a), name: a.name });
      return a.id;
    });
  }

  /**
   * Deletes the workspace's automations owned by `resourceId` (created before now, as Prefect
   * does when a deployment is served again); returns their ids (none is not an error).
   */
  async deleteOwnedBy(workspaceId: string, resourceId: string): Promise<string[]> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'delete', 'Automation', { workspaceId }, 'Workspace');
    const owner = validateName(resourceId, 'resourceId', 500);
    const before = new Date();
    return this.ctx.transaction(async (em) => {
      const owned = await em.find(Automation, {
        workspaceId,
        ownerResource: owner,
        createdAt: { $lt: before },
      });
      if (!owned.length) return [];
      const ids = owned.map((a) => a.id);
      await em.nativeDelete(AutomationBucket, { automationId: { $in: ids } });
      for (const a of owned) {
        em.remove(a);
        recordEvent(em, 'automation.deleted', { ...this.base(a), name: a.name });
      }
      await bumpRevision(em, workspaceId);
      return ids;
    });
  }

  async get(id: string): Promise<Automation> {
    requireAuthenticated(this.ctx.principal);
    const a = isUuid(id) ? await this.ctx.em.findOne(Automation, { id }) : null;
    if (!a) throw notFound('Automation');
    authorize(this.ctx, 'read', 'Automation', { workspaceId: a.workspaceId }, 'Automation');
    return a;
  }

  async list(
    workspaceId: string,
    args: { first?: number | null; after?: string | null },
    filter?: AutomationFilter | null,
  ): Promise<AutomationConnection> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'Automation', { workspaceId }, 'Workspace');
    pageSize(args);
    const readable = accessibleFilter(this.ctx.ability, 'read', 'Automation');
    if (!readable) throw forbidden('see_automations');
    const where: FilterQuery<Automation>[] = [readable as FilterQuery<Automation>, { workspaceId }];
    if (filter?.enabled != null) where.push({ enabled: filter.enabled });
    const prefix = filter?.namePrefix ?? '';
    if (prefix.length > 200) throw badInput('filter.namePrefix', 'At most 200 characters');
    if (prefix) {
      const qb = this.ctx.em
        .getKnex()('automation as at')
        .select('at.id')
        .where('at.workspace_id', workspaceId)
        .whereRaw(`at.name like ? escape '\\'`, [`${likeLiteral(prefix)}%`]);
      where.push({ id: { $in: qb as never } });
    }
    return paginate(this.ctx.em, Automation, { $and: where }, args);
  }

  /** The automation's buckets (the caller could already read the automation). */
  async state(a: Automation): Promise<AutomationState> {
    const buckets = await bucketsOf(this.ctx).load(a.id);
    const shown = buckets.map((b) => ({
      triggerPath: b.triggerPath,
      key: b.state.values ?? [],
      windowStart: b.windowStart ?? null,
      windowEnd: b.windowEnd ?? null,
      count: b.count,
      firedAt: b.firedAt ?? null,
      resolvedAt: b.resolvedAt ?? null,
      triggered: Boolean(b.firedAt && !b.resolvedAt),
    }));
    return {
      triggered: shown.some((b) => b.triggered && !b.triggerPath.includes('.')),
      buckets: shown,
    };
  }

  private async load(em: Em, id: string): Promise<Automation> {
    const a = isUuid(id) ? await em.findOne(Automation, { id }, forUpdate(em)) : null;
    if (!a) throw notFound('Automation');
    return a;
  }

  /**
   * What the automation's actions may do from now on: the saver's grants in this workspace, and
   * the saver (access lists name it and its teams). Never more than the saver holds, never
   * beyond this workspace (run-actions.ts).
   */
  private authority(workspaceId: string): AutomationAuthority | null {
    const { principal, grants } = this.ctx;
    const grant = grants.workspaces[workspaceId];
    if (!grant || (principal.type !== 'user' && principal.type !== 'service_account')) return null;
    return {
      accountId: grant.accountId,
      role: grant.role,
      permissions: [...grant.permissions],
      actsFor: {
        type: principal.type,
        id: principal.id,
        teamIds: grants.accounts[grant.accountId]?.teamIds ?? [],
      },
    };
  }

  private base(a: Automation) {
    return { automationId: a.id, ...eventScope(this.ctx, a.workspaceId) };
  }
}

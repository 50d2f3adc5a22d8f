import { UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import { requireActor, requireAuthenticated } from '../../../../lib/actor.js';
import { accessibleFilter, authorize } from '../../../../lib/ability.js';
import { isUuid } from '../../../../lib/db.js';
import { badInput, conflict, forbidden, notFound } from '../../../../lib/errors.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { paginate, pageSize } from '../../../../lib/pagination.js';
import { accountOf, jsonBytes } from '../common/caller.js';
import { likeLiteral, whereJsonArrayContains } from '../common/sql.js';
import type { OperationsContext } from '../context.js';
import { validateTags } from '../flows/flow.validation.js';
import { Variable } from './variable.entity.js';
import type { SetVariableInput, VariableConnection, VariableFilter } from './variable.inputs.js';

const NAME = /^[a-z0-9_]{1,255}$/;
export const MAX_VARIABLE_BYTES = 16 * 1024;
const EXISTS = 'A variable with this name exists in the workspace';

export function validateVariableName(name: string, field = 'name'): string {
  if (!NAME.test(name)) throw badInput(field, 'A variable name is 1 to 255 of a-z, 0-9 and _');
  return name;
}

/** Variables of a workspace: set (upsert by name), delete, read and list. */
export class VariableService {
  constructor(private readonly ctx: OperationsContext) {}

  /**
   * Creates the variable or replaces its value (and tags when given); one name, one row. With
   * `onlyNew`, an existing name is a CONFLICT instead.
   */
  async set(input: SetVariableInput, onlyNew = false): Promise<Variable> {
    requireActor(this.ctx.principal);
    const scope = { workspaceId: input.workspaceId };
    authorize(this.ctx, 'create', 'Variable', scope, 'Workspace');
    if (!onlyNew) authorize(this.ctx, 'update', 'Variable', scope, 'Workspace');
    const name = validateVariableName(input.name);
    if (input.value === undefined || input.value === null)
      throw badInput('value', 'A value is required (any JSON but null)');
    if (jsonBytes(input.value) > MAX_VARIABLE_BYTES)
      throw badInput('value', `A value is at most ${MAX_VARIABLE_BYTES} bytes of JSON`);
    const tags = input.tags == null ? null : validateTags(input.tags);
    const attempt = () =>
      this.ctx.transaction(async (em) => {
        const existing = await em.findOne(Variable, { workspaceId: input.workspaceId, name });
        if (existing && onlyNew) throw conflict('name', EXISTS);
        const v =
          existing ??
          em.create(Variable, {
            workspaceId: input.workspaceId,
            name,
            value: input.value,
          } as Variable);
        v.value = input.value;
        if (tags) v.tags = tags;
        recordEvent(em, existing ? 'variable.updated' : 'variable.created', {
          variableId: v.id,
          workspaceId: v.workspaceId,
          accountId: accountOf(this.ctx.grants, v.workspaceId),
          name,
        });
        return v;
      });
    try {
      return await attempt();
    } catch (err) {
      // Two first writes of one name raced: the other one created it, so this one updates it.
      if (!(err instanceof UniqueConstraintViolationException)) throw err;
      if (onlyNew) throw conflict('name', EXISTS);
      this.ctx.em.clear();
      try {
        return await attempt();
      } catch (again) {
        if (again instanceof UniqueConstraintViolationException)
          throw conflict('name', 'The variable changed concurrently; try again');
        throw again;
      }
    }
  }

  async delete(id: string): Promise<string> {
    requireActor(this.ctx.principal);
    return this.ctx.transaction(async (em) => {
      const v = isUuid(id) ? await em.findOne(Variable, { id }) : null;
      if (!v) throw notFound('Variable');
      authorize(this.ctx, 'delete', 'Variable', { workspaceId: v.workspaceId }, 'Variable');
      em.remove(v);
      recordEvent(em, 'variable.deleted', {
        variableId: v.id,
        workspaceId: v.workspaceId,
        accountId: accountOf(this.ctx.grants, v.workspaceId),
        name: v.name,
      });
      return v.id;
    });
  }

  async get(id: string): Promise<Variable> {
    requireAuthenticated(this.ctx.principal);
    const v = isUuid(id) ? await this.ctx.em.findOne(Variable, { id }) : null;
    if (!v) throw notFound('Variable');
    authorize(this.ctx, 'read', 'Variable', { workspaceId: v.workspaceId }, 'Variable');
    return v;
  }

  /** A variable by name; null when the workspace has none of that name. */
  async byName(workspaceId: string, name: string): Promise<Variable | null> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'Variable', { workspaceId }, 'Workspace');
    validateVariableName(name);
    return this.ctx.em.findOne(Variable, { workspaceId, name });
  }

  async list(
    workspaceId: string,
    args: { first?: number | null; after?: string | null },
    filter?: VariableFilter | null,
  ): Promise<VariableConnection> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'Variable', { workspaceId }, 'Workspace');
    pageSize(args);
    const readable = accessibleFilter(this.ctx.ability, 'read', 'Variable');
    if (!readable) throw forbidden('see_variables');
    const where: FilterQuery<Variable>[] = [readable as FilterQuery<Variable>, { workspaceId }];
    const prefix = filter?.namePrefix ?? '';
    if (prefix.length > 255) throw badInput('filter.namePrefix', 'At most 255 characters');
    const tags = filter?.tag ? validateTags([filter.tag], 'filter.tag') : [];
    if (prefix || tags.length) {
      // LIKE with an explicit escape and JSON containment need dialect SQL; as a subquery it
      // serves both the page and the count.
      const em = this.ctx.em;
      const qb = em
        .getKnex()('variable as vt')
        .select('vt.id')
        .where('vt.workspace_id', workspaceId);
      if (prefix) qb.whereRaw(`vt.name like ? escape '\\'`, [`${likeLiteral(prefix)}%`]);
      whereJsonArrayContains(em, qb, 'vt.tags', tags);
      where.push({ id: { $in: qb as never } });
    }
    return paginate(this.ctx.em, Variable, { $and: where }, args);
  }
}

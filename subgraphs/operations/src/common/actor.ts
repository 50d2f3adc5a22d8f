import { unauthenticated } from '../../../../lib/errors.js';
import type { BaseContext } from '../../../../lib/subgraph.js';

/** Who created a flow, deployment or run. Shown in the schema as `createdBy` or `createdByServiceAccount`. */
export enum CreatorType {
  USER = 'USER',
  SERVICE_ACCOUNT = 'SERVICE_ACCOUNT',
}

/**
 * The user or service account making a change; null for the system, for an automation
 * acting from a consumer and for a pushed run's credential (no creator to record). UNAUTHENTICATED for anonymous callers.
 */
export function actorOf(ctx: BaseContext): { type: CreatorType; id: string } | null {
  const p = ctx.principal;
  if (p.type === 'user') return { type: CreatorType.USER, id: p.id };
  if (p.type === 'service_account') return { type: CreatorType.SERVICE_ACCOUNT, id: p.id };
  // A pushed run's credential reports on its run; it creates nothing that has a creator.
  if (p.type === 'system' || p.type === 'automation' || p.type === 'flow_run') return null;
  throw unauthenticated();
}

/** UNAUTHENTICATED for anonymous callers (reads check membership afterwards). */
export function requireAuthenticated(ctx: BaseContext): void {
  if (ctx.principal.type === 'anonymous') throw unauthenticated();
}

/** Common payload fields of this subgraph's domain events. */
export function eventActor(ctx: BaseContext, workspaceId: string) {
  return {
    workspaceId,
    accountId: ctx.grants.workspaces[workspaceId]?.accountId ?? null,
    actorType: ctx.principal.type,
    actorId: ctx.principal.id,
  };
}

/** Whether the driver behind an entity manager is PostgreSQL. */
export function isPg(em: { config: { get(k: 'driver'): unknown } }): boolean {
  return (em.config.get('driver') as { name?: string } | undefined)?.name === 'PostgreSqlDriver';
}

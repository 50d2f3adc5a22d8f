import type { BaseContext } from '../../../../lib/subgraph.js';

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

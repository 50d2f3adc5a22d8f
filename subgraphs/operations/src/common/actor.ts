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

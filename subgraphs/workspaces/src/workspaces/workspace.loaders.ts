import DataLoader from 'dataloader';
import { accessibleFilter } from '../../../../lib/ability.js';
import { isUuid } from '../../../../lib/db.js';
import { detachedById } from '../../../../lib/loaders.js';
import type { BaseContext } from '../../../../lib/module.js';
import { byKey, type WorkspacesContext } from '../context.js';
import { Workspace } from './workspace.entity.js';

/**
 * Workspaces of an account that the context's ability may read, oldest first. The ability is
 * read when the loader runs, so a loader rebuilt after the grants grew (InvitationService.accept)
 * sees the workspaces just joined.
 */
export function visibleWorkspacesLoader(
  ctx: () => Pick<WorkspacesContext, 'ability' | 'em'>,
): DataLoader<string, Workspace[]> {
  return new DataLoader(async (accountIds) => {
    const { ability, em } = ctx();
    const filter = accessibleFilter(ability, 'read', 'Workspace');
    if (!filter) return accountIds.map(() => []);
    const rows = await em.find(
      Workspace,
      { $and: [filter, { accountId: { $in: [...accountIds] } }] },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    return accountIds.map((id) => rows.filter((w) => w.accountId === id));
  });
}

/** A workspace row (`t`) belongs to an account not deleted. */
const LIVE_ACCOUNT = {
  sql: 'exists (select 1 from account as a where a.id = t.account_id and a.deleted_at is null)',
  params: [],
};

/** Per-request loaders of the workspaces module; `ctx` is the context being built. */
export function workspaceLoaders(ctx: BaseContext) {
  return {
    workspaceById: new DataLoader<string, Workspace | null>(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await ctx.em.find(Workspace, { id: { $in: valid } }) : [];
      return byKey(ids, rows, (r) => r.id);
    }),
    /**
     * Workspaces of accounts not deleted, to answer with only (`workspace(id:)`): detached
     * rows, the account checked in the same statement.
     */
    liveWorkspaceById: detachedById(ctx.em, Workspace, LIVE_ACCOUNT),
    /** Workspaces of an account that the caller may read, oldest first. */
    visibleWorkspacesByAccount: visibleWorkspacesLoader(() => ctx),
  };
}

type WorkspaceLoaders = ReturnType<typeof workspaceLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface WorkspacesLoaders extends WorkspaceLoaders {}
}

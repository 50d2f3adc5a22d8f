import DataLoader from 'dataloader';
import { accessibleFilter } from '../../../lib/ability.js';
import type { BaseContext, Subgraph } from '../../../lib/subgraph.js';
import { WorkspaceRoleBinding } from './workspace-access/workspace-role-binding.entity.js';

/** The access subgraph's request context: base context plus per-request loaders. */
export interface AccessContext extends BaseContext {
  loaders: {
    /** Bindings of each workspace the caller may see members of (SQL-filtered by the ability). */
    accessByWorkspaceId: DataLoader<string, WorkspaceRoleBinding[]>;
  };
}

export function extendContext(base: BaseContext, _sub: Subgraph<AccessContext>): AccessContext {
  const { em, ability } = base;
  return {
    ...base,
    loaders: {
      accessByWorkspaceId: new DataLoader(async (workspaceIds) => {
        const visible = accessibleFilter(ability, 'read', 'WorkspaceAccess');
        if (!visible) return workspaceIds.map(() => []);
        const rows = await em.find(
          WorkspaceRoleBinding,
          { $and: [visible, { workspaceId: { $in: [...workspaceIds] } }] },
          { orderBy: { createdAt: 'asc', id: 'asc' } },
        );
        const byWorkspace = new Map<string, WorkspaceRoleBinding[]>();
        for (const r of rows) {
          const list = byWorkspace.get(r.workspaceId) ?? [];
          list.push(r);
          byWorkspace.set(r.workspaceId, list);
        }
        return workspaceIds.map((id) => byWorkspace.get(id) ?? []);
      }),
    },
  };
}

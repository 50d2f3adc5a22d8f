import type { BaseContext } from '../../../../lib/module.js';
import { readableGroupedBy } from '../../../../lib/loaders.js';
import { WorkspaceRoleBinding } from './workspace-role-binding.entity.js';

/** Per-request loaders of the workspace-access module. */
export function workspaceAccessLoaders({ em, ability }: BaseContext) {
  return {
    /** Bindings of each workspace the caller may see members of (SQL-filtered by the ability). */
    accessByWorkspaceId: readableGroupedBy(
      em,
      ability,
      'WorkspaceAccess',
      WorkspaceRoleBinding,
      'workspaceId',
      { createdAt: 'asc', id: 'asc' },
    ),
  };
}

type WorkspaceAccessLoaders = ReturnType<typeof workspaceAccessLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AccessLoaders extends WorkspaceAccessLoaders {}
}

import { defineModule } from '../../../../lib/module.js';
import type { WorkspacesContext } from '../context.js';
import { Workspace } from './workspace.entity.js';
import { workspaceLoaders } from './workspace.loaders.js';
import { WorkspaceResolver } from './workspace.resolver.js';
import { WorkspaceService } from './workspace.service.js';

/** Workspaces of accounts. */
export const workspacesModule = defineModule<WorkspacesContext>({
  name: 'workspaces',
  layer: 'core',
  resolvers: [WorkspaceResolver],
  entities: [Workspace],
  loaders: workspaceLoaders,
  references: { Workspace: (ref, ctx) => new WorkspaceService(ctx).reference(ref.id) },
});

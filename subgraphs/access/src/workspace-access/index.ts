import { defineModule } from '../../../../lib/module.js';
import type { AccessContext } from '../context.js';
import { workspaceAccessConsumers } from './workspace-access.consumers.js';
import { workspaceAccessLoaders } from './workspace-access.loaders.js';
import {
  WorkspaceAccessListResolver,
  WorkspaceAccessResolver,
} from './workspace-access.resolver.js';
import { WorkspaceRoleBinding } from './workspace-role-binding.entity.js';

/** Workspace roles given to users, service accounts and teams (and taken with memberships). */
export const workspaceAccessModule = defineModule<AccessContext>({
  name: 'workspace-access',
  layer: 'core',
  resolvers: [WorkspaceAccessResolver, WorkspaceAccessListResolver],
  entities: [WorkspaceRoleBinding],
  loaders: workspaceAccessLoaders,
  consumers: workspaceAccessConsumers,
});

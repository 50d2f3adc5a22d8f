import type { SubgraphDefinition } from '../../../lib/subgraph.js';
import { extendContext, type AccessContext } from './context.js';
import { migrations } from './migrations/index.js';
import {
  AccountPermissionsResolver,
  PermissionResolver,
  WorkspacePermissionsResolver,
} from './permissions/permission.resolver.js';
import { Account } from './tenancy/account.type.js';
import { Workspace } from './tenancy/workspace.type.js';
import { workspaceAccessConsumers } from './workspace-access/workspace-access.consumers.js';
import {
  WorkspaceAccessListResolver,
  WorkspaceAccessResolver,
} from './workspace-access/workspace-access.resolver.js';
import { WorkspaceRoleBinding } from './workspace-access/workspace-role-binding.entity.js';

/** access: the permission catalogue, roles, workspace role bindings and the caller's permissions. */
export const accessSubgraph: SubgraphDefinition<AccessContext> = {
  name: 'access',
  resolvers: [
    PermissionResolver,
    AccountPermissionsResolver,
    WorkspacePermissionsResolver,
    WorkspaceAccessResolver,
    WorkspaceAccessListResolver,
  ],
  orphanedTypes: [Account, Workspace],
  entities: [WorkspaceRoleBinding],
  migrations,
  extendContext,
  referenceResolvers: () => ({
    Account: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
    Workspace: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
  }),
  consumers: () => workspaceAccessConsumers,
};

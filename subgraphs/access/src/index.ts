import type { SubgraphDefinition } from '../../../lib/subgraph.js';
import { auditConsumers } from './audit/audit.consumers.js';
import {
  AuditChain,
  AuditEvent,
  AuditMembership,
  AuditWorkspace,
} from './audit/audit-event.entity.js';
import { AuditResolver } from './audit/audit.resolver.js';
import { auditRetentionService } from './audit/audit-retention.js';
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

/** access: the permission catalogue, roles, workspace role bindings, the caller's permissions and the audit log. */
export const accessSubgraph: SubgraphDefinition<AccessContext> = {
  name: 'access',
  resolvers: [
    PermissionResolver,
    AccountPermissionsResolver,
    WorkspacePermissionsResolver,
    WorkspaceAccessResolver,
    WorkspaceAccessListResolver,
    AuditResolver,
  ],
  orphanedTypes: [Account, Workspace],
  entities: [WorkspaceRoleBinding, AuditEvent, AuditChain, AuditMembership, AuditWorkspace],
  migrations,
  extendContext,
  referenceResolvers: () => ({
    Account: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
    Workspace: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
  }),
  consumers: () => workspaceAccessConsumers,
  consumerGroups: () => ({ audit: auditConsumers }),
  services: (sub) => [auditRetentionService(sub.orm)],
};

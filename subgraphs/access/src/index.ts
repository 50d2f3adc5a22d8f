import { defineModule, type SubgraphDefinition } from '../../../lib/module.js';
import {
  AccountAccessListResolver,
  AccountAccessResolver,
} from './account-access/account-access.resolver.js';
import { AccountRoleBinding } from './account-access/account-role-binding.entity.js';
import { auditConsumers } from './audit/audit.consumers.js';
import {
  AuditChain,
  AuditEvent,
  AuditMembership,
  AuditWorkspace,
} from './audit/audit-event.entity.js';
import { AuditResolver } from './audit/audit.resolver.js';
import { auditRetentionService } from './audit/audit-retention.js';
import { accessLoaders, accessProvides, type AccessContext } from './context.js';
import { GrantsResolver } from './grants/grants.resolver.js';
import { migrations } from './migrations/index.js';
import {
  AccountPermissionsResolver,
  PermissionResolver,
  WorkspacePermissionsResolver,
} from './permissions/permission.resolver.js';
import { CustomRole } from './roles/custom-role.entity.js';
import { RoleResolver } from './roles/role.resolver.js';
import { Team, TeamMember } from './teams/team.entity.js';
import { AccountTeamsResolver, TeamMemberResolver, TeamResolver } from './teams/team.resolver.js';
import { Account } from './tenancy/account.type.js';
import { Workspace } from './tenancy/workspace.type.js';
import { workspaceAccessConsumers } from './workspace-access/workspace-access.consumers.js';
import {
  WorkspaceAccessListResolver,
  WorkspaceAccessResolver,
} from './workspace-access/workspace-access.resolver.js';
import { WorkspaceRoleBinding } from './workspace-access/workspace-role-binding.entity.js';
import { IdentityProvider } from './sso/identity-provider.entity.js';
import { SsoDomain } from './sso/sso-domain.entity.js';
import { SsoLoginAttempt, SsoMember, SsoUsedAssertion } from './sso/sso-login.entity.js';
import { SsoSettings } from './sso/sso-settings.entity.js';
import { mergeConsumers, ssoConsumers } from './sso/sso.consumers.js';
import { AccountSsoResolver, IdentityProviderResolver } from './sso/sso.resolver.js';
import { ScimResolver } from './scim/scim.resolver.js';
import { ScimGroup, ScimUser } from './scim/scim.entity.js';

/**
 * access: the permission catalogue, built-in and custom roles, teams, workspace and account role
 * bindings, the caller's permissions and why, the grants the gateway computes, and the audit log.
 */
const access = defineModule<AccessContext>({
  name: 'access',
  layer: 'core',
  resolvers: [
    PermissionResolver,
    AccountPermissionsResolver,
    WorkspacePermissionsResolver,
    RoleResolver,
    TeamResolver,
    TeamMemberResolver,
    AccountTeamsResolver,
    WorkspaceAccessResolver,
    WorkspaceAccessListResolver,
    AccountAccessResolver,
    AccountAccessListResolver,
    GrantsResolver,
    AuditResolver,
    IdentityProviderResolver,
    AccountSsoResolver,
    ScimResolver,
  ],
  orphanedTypes: [Account, Workspace],
  entities: [
    WorkspaceRoleBinding,
    AccountRoleBinding,
    CustomRole,
    Team,
    TeamMember,
    AuditEvent,
    AuditChain,
    AuditMembership,
    AuditWorkspace,
    IdentityProvider,
    SsoSettings,
    SsoDomain,
    SsoLoginAttempt,
    SsoUsedAssertion,
    SsoMember,
    ScimUser,
    ScimGroup,
  ],
  provides: accessProvides,
  loaders: accessLoaders,
  references: {
    Account: (ref) => ({ id: ref.id }),
    Workspace: (ref) => ({ id: ref.id }),
  },
  consumers: mergeConsumers(workspaceAccessConsumers, ssoConsumers),
  consumerGroups: () => ({ audit: auditConsumers }),
  jobs: (sub) => [auditRetentionService(sub.orm)],
});

/** The access subgraph: one module so far (not yet split by domain). */
export const accessSubgraph: SubgraphDefinition<AccessContext> = {
  name: 'access',
  modules: [access],
  migrations,
};

import { defineSubgraph } from '../../../lib/module.js';
import type { AccessContext } from './context.js';
// Imported in this order on purpose: type-graphql prints fields and types in the order their
// classes are evaluated, so this order keeps schema/ as it was (docs/modules.md).
import { accountAccessModule } from './account-access/index.js';
import { auditModule } from './audit/index.js';
import { grantsModule } from './grants/index.js';
import { migrations } from './migrations/index.js';
import { permissionsModule } from './permissions/index.js';
import { rolesModule } from './roles/index.js';
import { teamsModule } from './teams/index.js';
import { tenancyModule } from './tenancy/index.js';
import { workspaceAccessModule } from './workspace-access/index.js';
import { ssoModule } from './sso/index.js';
import { scimModule } from './scim/index.js';

/**
 * access: the permission catalogue, built-in and custom roles, teams, workspace and account role
 * bindings, the caller's permissions and why, the grants the gateway computes, the audit log
 * (core); single sign-on and SCIM provisioning on top of them (sso).
 */
export const accessSubgraph = defineSubgraph<AccessContext>({
  name: 'access',
  layers: ['core', 'sso'],
  // Consumers of one event type run in this order (workspace access before SSO).
  modules: [
    tenancyModule,
    permissionsModule,
    rolesModule,
    teamsModule,
    workspaceAccessModule,
    accountAccessModule,
    grantsModule,
    auditModule,
    ssoModule,
    scimModule,
  ],
  migrations,
});

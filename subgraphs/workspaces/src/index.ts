import { defineSubgraph } from '../../../lib/module.js';
import type { WorkspacesContext } from './context.js';
// In this order on purpose: type-graphql prints fields and types in the order their classes are
// evaluated, so this order keeps schema/ as it was (docs/modules.md).
import { accountsModule } from './accounts/index.js';
import { invitationsModule } from './invitations/index.js';
import { membershipsModule } from './memberships/index.js';
import { migrations } from './migrations/index.js';
import { viewerModule } from './viewer/index.js';
import { ssoModule } from './sso/index.js';
import { workspacesModule } from './workspaces/index.js';

/** workspaces: accounts, workspaces, memberships, invitations and account settings. */
export const workspacesSubgraph = defineSubgraph<WorkspacesContext>({
  name: 'workspaces',
  modules: [
    accountsModule,
    workspacesModule,
    membershipsModule,
    invitationsModule,
    viewerModule,
    ssoModule,
  ],
  migrations,
});

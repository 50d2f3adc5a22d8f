import type { MailSettings } from '../../../lib/mail.js';
import type { ConsumerHandler } from '../../../lib/outbox.js';
import {
  defineModule,
  type SubgraphDefinition,
  type SubgraphRuntime,
} from '../../../lib/module.js';
import { InvitationMail } from './invitations/invitation-mail.js';
import { Account } from './accounts/account.entity.js';
import { AccountResolver } from './accounts/account.resolver.js';
import { AccountService } from './accounts/account.service.js';
import { consumers } from './consumers.js';
import { workspacesLoaders, workspacesProvides, type WorkspacesContext } from './context.js';
import { Invitation } from './invitations/invitation.entity.js';
import { InvitationResolver } from './invitations/invitation.resolver.js';
import { AccountMembership } from './memberships/membership.entity.js';
import { MembershipResolver } from './memberships/membership.resolver.js';
import { migrations } from './migrations/index.js';
import { ViewerAccountsResolver } from './viewer/viewer.resolver.js';
import { SsoMembershipResolver } from './sso/sso.resolver.js';
import { Viewer } from './viewer/viewer.types.js';
import { Workspace } from './workspaces/workspace.entity.js';
import { WorkspaceResolver } from './workspaces/workspace.resolver.js';
import { WorkspaceService } from './workspaces/workspace.service.js';

const mailers = new WeakMap<SubgraphRuntime<WorkspacesContext>, InvitationMail>();

/** The invitation mailer of a running subgraph, when SMTP is configured (settings `mail`). */
export function mailOf(sub: SubgraphRuntime<WorkspacesContext>): InvitationMail | undefined {
  const settings = sub.opts.settings?.mail as MailSettings | undefined;
  if (!settings) return undefined;
  let m = mailers.get(sub);
  if (!m) mailers.set(sub, (m = new InvitationMail(sub.orm, settings)));
  return m;
}

/**
 * The workspaces subgraph as one module (not yet split by domain; see the operations subgraph for
 * modules per domain).
 */
const workspaces = defineModule<WorkspacesContext>({
  name: 'workspaces',
  layer: 'core',
  resolvers: [
    AccountResolver,
    WorkspaceResolver,
    MembershipResolver,
    InvitationResolver,
    ViewerAccountsResolver,
    SsoMembershipResolver,
  ],
  orphanedTypes: [Viewer],
  entities: [Account, Workspace, AccountMembership, Invitation],
  provides: workspacesProvides,
  loaders: workspacesLoaders,
  consumers,
  consumerGroups: (sub): Record<string, Record<string, ConsumerHandler>> => {
    const mail = mailOf(sub);
    return mail ? { mail: mail.consumers() } : {};
  },
  jobs: (sub) => (mailOf(sub) ? [mailOf(sub)!] : []),
  references: {
    Account: (ref, ctx) => new AccountService(ctx).reference(ref.id),
    Workspace: (ref, ctx) => new WorkspaceService(ctx).reference(ref.id),
    Viewer: (ref) => ({ id: ref.id }),
  },
});

/** workspaces: accounts, workspaces, memberships, invitations and account settings. */
export const workspacesSubgraph: SubgraphDefinition<WorkspacesContext> = {
  name: 'workspaces',
  modules: [workspaces],
  migrations,
};

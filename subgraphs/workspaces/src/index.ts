import type { MailSettings } from '../../../lib/mail.js';
import type { ConsumerHandler } from '../../../lib/outbox.js';
import type { Subgraph, SubgraphDefinition } from '../../../lib/subgraph.js';
import { InvitationMail } from './invitations/invitation-mail.js';
import { Account } from './accounts/account.entity.js';
import { AccountResolver } from './accounts/account.resolver.js';
import { AccountService } from './accounts/account.service.js';
import { consumers } from './consumers.js';
import { extendContext, type WorkspacesContext } from './context.js';
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

const mailers = new WeakMap<Subgraph<WorkspacesContext>, InvitationMail>();

/** The invitation mailer of a running subgraph, when SMTP is configured (settings `mail`). */
export function mailOf(sub: Subgraph<WorkspacesContext>): InvitationMail | undefined {
  const settings = sub.opts.settings?.mail as MailSettings | undefined;
  if (!settings) return undefined;
  let m = mailers.get(sub);
  if (!m) mailers.set(sub, (m = new InvitationMail(sub.orm, settings)));
  return m;
}

/** workspaces: accounts, workspaces, memberships, invitations and account settings. */
export const workspacesSubgraph: SubgraphDefinition<WorkspacesContext> = {
  name: 'workspaces',
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
  migrations,
  extendContext,
  consumers,
  consumerGroups: (sub): Record<string, Record<string, ConsumerHandler>> => {
    const mail = mailOf(sub);
    return mail ? { mail: mail.consumers() } : {};
  },
  services: (sub) => (mailOf(sub) ? [mailOf(sub)!] : []),
  referenceResolvers: () => ({
    Account: {
      __resolveReference: (ref: { id: string }, ctx: WorkspacesContext) =>
        new AccountService(ctx).reference(ref.id),
    },
    Workspace: {
      __resolveReference: (ref: { id: string }, ctx: WorkspacesContext) =>
        new WorkspaceService(ctx).reference(ref.id),
    },
    Viewer: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
  }),
};

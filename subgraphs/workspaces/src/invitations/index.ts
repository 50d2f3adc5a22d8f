import { defineModule } from '../../../../lib/module.js';
import type { WorkspacesContext } from '../context.js';
import type { ConsumerMap } from '../../../../lib/module.js';
import { mailOf } from './invitation-mail.js';
import { Invitation } from './invitation.entity.js';
import { InvitationResolver } from './invitation.resolver.js';

/** Invitations, and emailing them when SMTP is configured. */
export const invitationsModule = defineModule<WorkspacesContext>({
  name: 'invitations',
  layer: 'core',
  resolvers: [InvitationResolver],
  entities: [Invitation],
  consumerGroups: (sub): Record<string, ConsumerMap> => {
    const mail = mailOf(sub);
    return mail ? { mail: mail.consumers() } : {};
  },
  jobs: (sub) => (mailOf(sub) ? [mailOf(sub)!] : []),
});

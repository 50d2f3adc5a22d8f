import type { MailSettings } from '../../../../lib/mail.js';
import { defineModule } from '../../../../lib/module.js';
import type { WorkspacesContext } from '../context.js';
import { Account } from './account.entity.js';
import { accountLoaders } from './account.loaders.js';
import { AccountResolver } from './account.resolver.js';
import { AccountService } from './account.service.js';

/** Accounts (organisations): creation, settings, deletion; the mail settings of the context. */
export const accountsModule = defineModule<WorkspacesContext>({
  name: 'accounts',
  layer: 'core',
  resolvers: [AccountResolver],
  entities: [Account],
  provides: (sub) => ({ mail: sub.opts.settings?.mail as MailSettings | undefined }),
  loaders: accountLoaders,
  references: { Account: (ref, ctx) => new AccountService(ctx).reference(ref.id) },
});

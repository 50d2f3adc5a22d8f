import { defineModule } from '../../../../lib/module.js';
import type { UsersContext } from '../context.js';
import { Account } from './account.type.js';
import {
  ServiceAccountGrants,
  serviceAccountGrantsConsumers,
} from './service-account-authority.js';
import { ServiceAccount } from './service-account.entity.js';
import { serviceAccountLoaders } from './service-account.loaders.js';
import {
  AccountServiceAccountsResolver,
  ServiceAccountResolver,
} from './service-account.resolver.js';

/** Service accounts of an account and the grants they hold. */
export const serviceAccountsModule = defineModule<UsersContext>({
  name: 'service-accounts',
  layer: 'core',
  resolvers: [ServiceAccountResolver, AccountServiceAccountsResolver],
  // Account is only extended here (no root field returns it), so it must be listed.
  orphanedTypes: [Account],
  entities: [ServiceAccount, ServiceAccountGrants],
  loaders: serviceAccountLoaders,
  references: {
    ServiceAccount: (ref, ctx) => ctx.loaders.serviceAccountById.load(ref.id),
    Account: (ref) => ({ id: ref.id }),
  },
  consumers: serviceAccountGrantsConsumers,
});

import { defineModule } from '../../../../lib/module.js';
import type { AccessContext } from '../context.js';
import { AccountAccessListResolver, AccountAccessResolver } from './account-access.resolver.js';
import { AccountRoleBinding } from './account-role-binding.entity.js';
import { accountAccessLoaders } from './account-access.loaders.js';

/** Custom account roles given to users, service accounts and teams. */
export const accountAccessModule = defineModule<AccessContext>({
  name: 'account-access',
  layer: 'core',
  resolvers: [AccountAccessResolver, AccountAccessListResolver],
  entities: [AccountRoleBinding],
  loaders: accountAccessLoaders,
});

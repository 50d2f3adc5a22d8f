import type { BaseContext } from '../../../../lib/module.js';
import { readableGroupedBy } from '../../../../lib/loaders.js';
import { AccountRoleBinding } from './account-role-binding.entity.js';

/** Per-request loaders of the account-access module. */
export function accountAccessLoaders({ em, ability }: BaseContext) {
  return {
    /** Custom account roles given in each account the caller may see members of. */
    accountAccessByAccount: readableGroupedBy(
      em,
      ability,
      'AccountAccess',
      AccountRoleBinding,
      'accountId',
      { createdAt: 'asc', id: 'asc' },
    ),
  };
}

type AccountAccessLoaders = ReturnType<typeof accountAccessLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AccessLoaders extends AccountAccessLoaders {}
}

import DataLoader from 'dataloader';
import { isUuid } from '../../../../lib/db.js';
import type { BaseContext } from '../../../../lib/module.js';
import { byKey } from '../context.js';
import { Account } from './account.entity.js';

/** Per-request loaders of the accounts module. */
export function accountLoaders({ em }: BaseContext) {
  return {
    /** Non-deleted accounts by id (no permission check: callers decide visibility). */
    accountById: new DataLoader<string, Account | null>(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length
        ? await em.find(Account, { id: { $in: valid }, deletedAt: null })
        : [];
      return byKey(ids, rows, (r) => r.id);
    }),
  };
}

type AccountLoaders = ReturnType<typeof accountLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface WorkspacesLoaders extends AccountLoaders {}
}

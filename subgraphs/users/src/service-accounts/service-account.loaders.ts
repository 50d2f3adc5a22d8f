import DataLoader from 'dataloader';
import type { BaseContext } from '../../../../lib/module.js';
import { ServiceAccount } from './service-account.entity.js';

/** Per-request loaders of the service-accounts module (deleted ones load as null). */
export function serviceAccountLoaders({ em }: BaseContext) {
  return {
    serviceAccountById: new DataLoader<string, ServiceAccount | null>(async (ids) => {
      const rows = await em.find(ServiceAccount, { id: { $in: [...ids] }, deletedAt: null });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}

type ServiceAccountLoaders = ReturnType<typeof serviceAccountLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface UsersLoaders extends ServiceAccountLoaders {}
}

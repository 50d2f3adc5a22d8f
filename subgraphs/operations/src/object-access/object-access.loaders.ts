import DataLoader from 'dataloader';
import { isUuid } from '../../../../lib/db.js';
import type { BaseContext } from '../../../../lib/module.js';
import { AccessObjectType, ObjectAccess } from './object-access.entity.js';

/** Per-request loaders of the object-access module. */
export function objectAccessLoaders({ em }: BaseContext) {
  return {
    /** Access lists by "<objectType>:<objectId>". */
    objectAccessByObject: new DataLoader<string, ObjectAccess | null>(async (keys) => {
      const pairs = keys.map((k) => k.split(':') as [AccessObjectType, string]);
      const rows = await em.find(ObjectAccess, {
        $or: [...new Set(pairs.map(([t]) => t))].map((t) => ({
          objectType: t,
          objectId: { $in: pairs.filter(([x, id]) => x === t && isUuid(id)).map(([, id]) => id) },
        })),
      });
      const byKey = new Map(rows.map((r) => [`${r.objectType}:${r.objectId}`, r]));
      return keys.map((k) => byKey.get(k) ?? null);
    }),
  };
}

type ObjectAccessLoaders = ReturnType<typeof objectAccessLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface OperationsLoaders extends ObjectAccessLoaders {}
}

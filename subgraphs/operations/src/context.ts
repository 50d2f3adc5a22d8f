import DataLoader from 'dataloader';
import type { BaseContext, Subgraph } from '../../../lib/subgraph.js';
import { Flow } from './flows/flow.entity.js';
import { isUuid } from '../../../lib/db.js';
import { BlockCrypto } from './blocks/block-crypto.js';
import { blockLoaders } from './blocks/block.loaders.js';
import { abilitiesWithAcl } from './object-access/object-access.ability.js';
import { AccessObjectType, ObjectAccess } from './object-access/object-access.entity.js';
import { activeSlots } from './concurrency-limits/concurrency-limit.service.js';

/** The operations subgraph's request context: base context plus per-request loaders. */
export interface OperationsContext extends BaseContext {
  loaders: {
    /** Flows by id, unfiltered: callers authorize each one before returning it. */
    flowById: DataLoader<string, Flow | null>;
    /** Slots held now per concurrency limit. */
    activeSlotsByLimitId: DataLoader<string, number>;
    /** Access lists by "<objectType>:<objectId>". */
    objectAccessByObject: DataLoader<string, ObjectAccess | null>;
  } & ReturnType<typeof blockLoaders>;
  /** Encrypts and decrypts secret block fields with the configured key. */
  blockCrypto: BlockCrypto;
}

export function extendContext(
  base: BaseContext,
  sub: Subgraph<OperationsContext>,
): OperationsContext {
  const em = base.em;
  return {
    ...base,
    blockCrypto: new BlockCrypto(sub.opts.settings?.blockEncryptionKey as Buffer | undefined),
    loaders: {
      ...blockLoaders(em, (ids) =>
        abilitiesWithAcl(base, em, AccessObjectType.BLOCK_DOCUMENT, 'BlockDocument', ids),
      ),
      objectAccessByObject: new DataLoader(async (keys) => {
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
      activeSlotsByLimitId: new DataLoader(async (ids) => {
        const used = await activeSlots(em, ids);
        return ids.map((id) => used.get(id) ?? 0);
      }),
      flowById: new DataLoader(async (ids) => {
        const rows = await em.find(Flow, { id: { $in: ids.filter(isUuid) } });
        const byId = new Map(rows.map((r) => [r.id, r]));
        return ids.map((id) => byId.get(id) ?? null);
      }),
    },
  };
}

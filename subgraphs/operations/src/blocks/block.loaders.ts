import DataLoader from 'dataloader';
import type { AppAbility } from '../../../../lib/ability.js';
import { isUuid } from '../../../../lib/db.js';
import type { Em } from '../../../../lib/orm.js';
import type { BlockCrypto } from './block-crypto.js';
import { BlockSchema } from './block-schema.entity.js';
import { BlockType } from './block-type.entity.js';

const byIds =
  <T extends { id: string }>(em: Em, entity: new () => T) =>
  async (ids: readonly string[]) => {
    const rows = await em.find(entity, { id: { $in: ids.filter(isUuid) } } as never);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  };

/** Per-request loaders of the blocks domain (unfiltered: callers authorize first). */
export function blockLoaders(
  em: Em,
  blockAbility: (workspaceIds: readonly string[]) => Promise<AppAbility[]>,
) {
  return {
    blockTypeById: new DataLoader<string, BlockType | null>(byIds(em, BlockType)),
    blockSchemaById: new DataLoader<string, BlockSchema | null>(byIds(em, BlockSchema)),
    blockSchemasByTypeId: new DataLoader<string, BlockSchema[]>(async (ids) => {
      const rows = await em.find(
        BlockSchema,
        { blockTypeId: { $in: ids.filter(isUuid) } },
        { orderBy: { createdAt: 'asc', id: 'asc' } },
      );
      return ids.map((id) => rows.filter((r) => r.blockTypeId === id));
    }),
    /** The caller's ability for block documents per workspace, narrowed by object ACLs. */
    blockAbility: new DataLoader<string, AppAbility>(blockAbility),
  };
}

type BlockLoaders = ReturnType<typeof blockLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface OperationsLoaders extends BlockLoaders {}
  interface OperationsContext {
    /** Encrypts and decrypts secret block fields with the configured key. */
    blockCrypto: BlockCrypto;
  }
}

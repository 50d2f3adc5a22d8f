import DataLoader from 'dataloader';
import type { AppAbility } from '../../../../lib/ability.js';
import { byId, groupedBy } from '../../../../lib/loaders.js';
import type { Em } from '../../../../lib/orm.js';
import type { BlockCrypto } from './block-crypto.js';
import { BlockSchema } from './block-schema.entity.js';
import { BlockType } from './block-type.entity.js';

/** Per-request loaders of the blocks domain (unfiltered: callers authorize first). */
export function blockLoaders(
  em: Em,
  blockAbility: (workspaceIds: readonly string[]) => Promise<AppAbility[]>,
) {
  return {
    blockTypeById: byId(em, BlockType),
    blockSchemaById: byId(em, BlockSchema),
    blockSchemasByTypeId: groupedBy(em, BlockSchema, 'blockTypeId', {
      createdAt: 'asc',
      id: 'asc',
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

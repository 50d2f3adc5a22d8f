import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { abilitiesWithAcl } from '../object-access/object-access.ability.js';
import { AccessObjectType } from '../object-access/object-access.entity.js';
import { BlockCrypto } from './block-crypto.js';
import { BlockDocument } from './block-document.entity.js';
import { BlockSchema } from './block-schema.entity.js';
import { BlockType } from './block-type.entity.js';
import { blockLoaders } from './block.loaders.js';
import {
  BlockDocumentResolver,
  BlockSchemaResolver,
  BlockTypeResolver,
  WorkspaceBlocksResolver,
} from './block.resolver.js';

/** Block types, schemas and documents (secret fields sealed with the block key). */
export const blocksModule = defineModule<OperationsContext>({
  name: 'blocks',
  layer: 'core',
  resolvers: [
    BlockTypeResolver,
    BlockSchemaResolver,
    BlockDocumentResolver,
    WorkspaceBlocksResolver,
  ],
  entities: [BlockType, BlockSchema, BlockDocument],
  provides: (sub) => ({
    blockCrypto: new BlockCrypto(sub.opts.settings?.blockEncryptionKey as Buffer | undefined),
  }),
  loaders: (ctx) =>
    blockLoaders(ctx.em, (ids) =>
      abilitiesWithAcl(ctx, ctx.em, AccessObjectType.BLOCK_DOCUMENT, 'BlockDocument', ids),
    ),
});

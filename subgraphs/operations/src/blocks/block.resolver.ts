import { GraphQLJSON } from 'graphql-scalars';
import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ConnectionArgs } from '../../../../lib/pagination.js';
import { WorkspaceBoundArg } from '../../../../lib/workspace-bound.js';
import type { OperationsContext } from '../context.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { BlockDocument } from './block-document.entity.js';
import { BlockSchema } from './block-schema.entity.js';
import { BlockType } from './block-type.entity.js';
import {
  BlockDocumentConnection,
  BlockDocumentFilter,
  BlockTypeConnection,
  CreateBlockDocumentInput,
  CreateBlockSchemaInput,
  CreateBlockTypeInput,
  UpdateBlockTypeInput,
  UpdateBlockDocumentInput,
} from './block.inputs.js';
import { BlockService } from './block.service.js';

@Resolver(() => BlockType)
export class BlockTypeResolver {
  @FieldResolver(() => [BlockSchema], { description: 'Its schemas, oldest first.' })
  schemas(@Root() t: BlockType, @Ctx() ctx: OperationsContext): Promise<BlockSchema[]> {
    return ctx.loaders.blockSchemasByTypeId.load(t.id);
  }

  @FieldResolver(() => Workspace, { description: 'The workspace it belongs to.' })
  workspace(@Root() t: BlockType): Workspace {
    return { id: t.workspaceId };
  }

  @Mutation(() => BlockType, { description: 'Create a block type (needs manage_blocks).' })
  createBlockType(
    @Arg('input', () => CreateBlockTypeInput) input: CreateBlockTypeInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<BlockType> {
    return new BlockService(ctx).createType(input);
  }

  @Mutation(() => BlockType, {
    description: "Change a block type's description, URLs or code example (needs manage_blocks).",
  })
  updateBlockType(
    @Arg('input', () => UpdateBlockTypeInput) input: UpdateBlockTypeInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<BlockType> {
    return new BlockService(ctx).updateType(input);
  }
}

@Resolver(() => BlockSchema)
export class BlockSchemaResolver {
  @FieldResolver(() => BlockType, { description: 'The block type it versions.' })
  blockType(@Root() s: BlockSchema, @Ctx() ctx: OperationsContext): Promise<BlockType> {
    return new BlockService(ctx).typeOf(s);
  }

  @FieldResolver(() => [String], {
    description: 'Dotted paths of the secret fields (encrypted at rest, masked for most callers).',
  })
  secretFields(@Root() s: BlockSchema): string[] {
    return s.secretPaths.map((p) => p.join('.'));
  }

  @Mutation(() => BlockSchema, {
    description: 'Add a schema version to a block type (needs manage_blocks).',
  })
  createBlockSchema(
    @Arg('input', () => CreateBlockSchemaInput) input: CreateBlockSchemaInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<BlockSchema> {
    return new BlockService(ctx).createSchema(input);
  }
}

@Resolver(() => BlockDocument)
export class BlockDocumentResolver {
  @Query(() => BlockDocument, {
    nullable: true,
    description: 'A block document by id (needs see_blocks and, if it has an ACL, a place on it).',
  })
  blockDocument(
    @Arg('id', () => ID) id: string,
    @WorkspaceBoundArg('block document') workspaceId: string | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<BlockDocument> {
    return new BlockService(ctx).getDocument(id, workspaceId);
  }

  @FieldResolver(() => GraphQLJSON, {
    description:
      'The values. Secret fields are "********" unless the caller has see_secret_blocks.',
  })
  data(
    @Root() doc: BlockDocument,
    @Ctx() ctx: OperationsContext,
  ): Promise<Record<string, unknown>> {
    return new BlockService(ctx).present(doc);
  }

  @FieldResolver(() => BlockType, { description: 'Its block type.' })
  blockType(@Root() doc: BlockDocument, @Ctx() ctx: OperationsContext): Promise<BlockType> {
    return new BlockService(ctx).typeOf(doc);
  }

  @FieldResolver(() => BlockSchema, { description: 'The schema its values follow.' })
  blockSchema(@Root() doc: BlockDocument, @Ctx() ctx: OperationsContext): Promise<BlockSchema> {
    return new BlockService(ctx).schemaOf(doc);
  }

  @FieldResolver(() => Workspace, { description: 'The workspace it belongs to.' })
  workspace(@Root() doc: BlockDocument): Workspace {
    return { id: doc.workspaceId };
  }

  @Mutation(() => BlockDocument, {
    description:
      'Create a block document (needs manage_blocks; manage_secret_blocks when it sets secret fields).',
  })
  createBlockDocument(
    @Arg('input', () => CreateBlockDocumentInput) input: CreateBlockDocumentInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<BlockDocument> {
    return new BlockService(ctx).createDocument(input);
  }

  @Mutation(() => BlockDocument, {
    description:
      'Replace the values of a block document (needs manage_blocks; manage_secret_blocks when secret fields change).',
  })
  updateBlockDocument(
    @Arg('input', () => UpdateBlockDocumentInput) input: UpdateBlockDocumentInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<BlockDocument> {
    return new BlockService(ctx).updateDocument(input);
  }

  @Mutation(() => ID, {
    description: 'Delete a block document (needs manage_blocks); returns its id.',
  })
  deleteBlockDocument(
    @Arg('id', () => ID) id: string,
    @WorkspaceBoundArg('block document') workspaceId: string | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<string> {
    return new BlockService(ctx).deleteDocument(id, workspaceId);
  }
}

@Resolver(() => Workspace)
export class WorkspaceBlocksResolver {
  @FieldResolver(() => BlockDocumentConnection, {
    description:
      'Block documents of the workspace the caller may see, oldest first (needs see_blocks).',
  })
  blockDocuments(
    @Root() workspace: Workspace,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => BlockDocumentFilter, {
      nullable: true,
      description: 'Which documents to list.',
    })
    filter: BlockDocumentFilter | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<BlockDocumentConnection> {
    return new BlockService(ctx).listDocuments(workspace.id, args, filter);
  }

  @FieldResolver(() => BlockTypeConnection, {
    description: 'Block types of the workspace, oldest first (needs see_blocks).',
  })
  blockTypes(
    @Root() workspace: Workspace,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() ctx: OperationsContext,
  ): Promise<BlockTypeConnection> {
    return new BlockService(ctx).listTypes(workspace.id, args);
  }
}

import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { BlockDocument } from '../blocks/block-document.entity.js';
import type { OperationsContext } from '../context.js';
import { Deployment } from '../deployments/deployment.entity.js';
import { WorkPool } from '../work-pools/work-pool.entity.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { AccessObjectType, ObjectAccess } from './object-access.entity.js';
import {
  ObjectAccessEntry,
  RemoveObjectAccessInput,
  SetObjectAccessInput,
} from './object-access.inputs.js';
import { ObjectAccessService } from './object-access.service.js';

@Resolver(() => ObjectAccess)
export class ObjectAccessResolver {
  @FieldResolver(() => [ObjectAccessEntry], { description: 'The listed actors and their levels.' })
  entries(@Root() acl: ObjectAccess, @Ctx() ctx: OperationsContext): ObjectAccessEntry[] {
    return new ObjectAccessService(ctx).present(acl);
  }

  @FieldResolver(() => Workspace, { description: 'The workspace of the object.' })
  workspace(@Root() acl: ObjectAccess): Workspace {
    return { id: acl.workspaceId };
  }

  @Mutation(() => ObjectAccess, {
    description:
      'Replace the access list of an object: afterwards only listed actors (and workspace Owners) reach it, each within their role. Needs the right to change the object (e.g. manage_blocks and MANAGE on its current list).',
  })
  setObjectAccess(
    @Arg('input', () => SetObjectAccessInput) input: SetObjectAccessInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<ObjectAccess> {
    return new ObjectAccessService(ctx).set(input);
  }

  @Mutation(() => ID, {
    description:
      'Remove the access list of an object, back to role-based access (same rights as setObjectAccess); returns the object id.',
  })
  removeObjectAccess(
    @Arg('input', () => RemoveObjectAccessInput) input: RemoveObjectAccessInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<string> {
    return new ObjectAccessService(ctx).remove(input);
  }
}

@Resolver(() => BlockDocument)
export class BlockDocumentAccessResolver {
  @FieldResolver(() => ObjectAccess, {
    nullable: true,
    description: 'Its access list; null when access follows roles only.',
  })
  access(@Root() doc: BlockDocument, @Ctx() ctx: OperationsContext): Promise<ObjectAccess | null> {
    return new ObjectAccessService(ctx).listOf(AccessObjectType.BLOCK_DOCUMENT, doc.id);
  }
}

@Resolver(() => Deployment)
export class DeploymentAccessResolver {
  @FieldResolver(() => ObjectAccess, {
    nullable: true,
    description:
      "Its own access list; null when it has none (it then follows its work pool's, if any).",
  })
  access(@Root() d: Deployment, @Ctx() ctx: OperationsContext): Promise<ObjectAccess | null> {
    return new ObjectAccessService(ctx).listOf(AccessObjectType.DEPLOYMENT, d.id);
  }
}

@Resolver(() => WorkPool)
export class WorkPoolAccessResolver {
  @FieldResolver(() => ObjectAccess, {
    nullable: true,
    description:
      'Its access list (also of its deployments without their own); null when access follows roles only.',
  })
  access(@Root() pool: WorkPool, @Ctx() ctx: OperationsContext): Promise<ObjectAccess | null> {
    return new ObjectAccessService(ctx).listOf(AccessObjectType.WORK_POOL, pool.id);
  }
}

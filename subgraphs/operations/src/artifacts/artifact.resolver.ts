import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ConnectionArgs } from '../../../../lib/pagination.js';
import type { OperationsContext } from '../context.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { Artifact } from './artifact.entity.js';
import { ArtifactConnection, ArtifactFilter, CreateArtifactInput } from './artifact.inputs.js';
import { ArtifactService } from './artifact.service.js';

@Resolver(() => Artifact)
export class ArtifactResolver {
  @Query(() => Artifact, {
    nullable: true,
    description: 'An artifact by id (needs see_artifacts in its workspace; NOT_FOUND otherwise).',
  })
  artifact(@Arg('id', () => ID) id: string, @Ctx() ctx: OperationsContext): Promise<Artifact> {
    return new ArtifactService(ctx).get(id);
  }

  @FieldResolver(() => Workspace, { description: 'The workspace it belongs to.' })
  workspace(@Root() a: Artifact): Workspace {
    return { id: a.workspaceId };
  }

  @Mutation(() => Artifact, { description: 'Create an artifact (needs manage_artifacts).' })
  createArtifact(
    @Arg('input', () => CreateArtifactInput) input: CreateArtifactInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Artifact> {
    return new ArtifactService(ctx).create(input);
  }
}

@Resolver(() => Workspace)
export class WorkspaceArtifactsResolver {
  @FieldResolver(() => ArtifactConnection, {
    description: 'Artifacts of the workspace, oldest first (needs see_artifacts).',
  })
  artifacts(
    @Root() workspace: Workspace,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => ArtifactFilter, {
      nullable: true,
      description: 'Which artifacts to list.',
    })
    filter: ArtifactFilter | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<ArtifactConnection> {
    return new ArtifactService(ctx).list(workspace.id, args, filter);
  }

  @FieldResolver(() => Artifact, {
    nullable: true,
    description:
      'The newest artifact with this key; null when there is none (needs see_artifacts).',
  })
  latestArtifact(
    @Root() workspace: Workspace,
    @Arg('key', () => String, { description: 'The artifact key.' }) key: string,
    @Ctx() ctx: OperationsContext,
  ): Promise<Artifact | null> {
    return new ArtifactService(ctx).latest(workspace.id, key);
  }
}

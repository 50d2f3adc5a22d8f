import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { Artifact } from './artifact.entity.js';
import { ArtifactResolver, WorkspaceArtifactsResolver } from './artifact.resolver.js';

/** Artifacts of runs. */
export const artifactsModule = defineModule<OperationsContext>({
  name: 'artifacts',
  layer: 'core',
  resolvers: [ArtifactResolver, WorkspaceArtifactsResolver],
  entities: [Artifact],
});

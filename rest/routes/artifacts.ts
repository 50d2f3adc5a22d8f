import { z } from 'zod';
import { CreateArtifactDocument, type ArtifactType } from '../generated/graphql.js';
import { toPrefectArtifact } from '../prefect/platform.js';
import { route } from '../route.js';

const artifactCreate = z.object({
  key: z.string().nullish(),
  type: z.enum(['markdown', 'table', 'link', 'progress', 'image']),
  description: z.string().nullish(),
  data: z.unknown(),
  flow_run_id: z.uuid().nullish(),
  task_run_id: z.uuid().nullish(),
});

export const artifactRoutes = [
  route('POST', '/artifacts/', {
    summary: 'Create an artifact',
    tags: ['Artifacts'],
    operation: CreateArtifactDocument,
    body: artifactCreate,
    variables: ({ body, workspaceId }) => ({
      input: {
        workspaceId,
        key: body.key ?? undefined,
        type: body.type.toUpperCase() as ArtifactType,
        data: body.data ?? null,
        description: body.description ?? undefined,
        flowRunId: body.flow_run_id ?? undefined,
        taskRunId: body.task_run_id ?? undefined,
      },
    }),
    fields: { flowRunId: 'flow_run_id', taskRunId: 'task_run_id' },
    result: (d) => toPrefectArtifact(d.createArtifact),
    status: 201,
  }),
];

import { z } from 'zod';
import { WriteLogsDocument } from '../generated/graphql.js';
import { route } from '../route.js';

const logCreate = z.object({
  name: z.string().nullish(),
  level: z.number().int(),
  message: z.string(),
  timestamp: z.string(),
  flow_run_id: z.uuid().nullish(),
  task_run_id: z.uuid().nullish(),
  worker_id: z.uuid().nullish(),
});

export const logRoutes = [
  route('POST', '/logs/', {
    summary:
      'Write logs of flow runs, task runs and workers (a line of neither run nor worker is not stored)',
    tags: ['Logs'],
    operation: WriteLogsDocument,
    body: z.array(logCreate),
    variables: ({ body, workspaceId }) => ({
      input: {
        workspaceId,
        logs: body
          .filter((l) => l.flow_run_id || l.worker_id)
          .map((l) => ({
            flowRunId: l.flow_run_id ?? undefined,
            taskRunId: l.task_run_id ?? undefined,
            workerId: l.worker_id ?? undefined,
            level: l.level,
            message: l.message,
            timestamp: l.timestamp,
          })),
      },
    }),
    fields: { logs: '' },
    result: () => null,
    status: 201,
  }),
];

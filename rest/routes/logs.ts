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
  worker_id: z.string().nullish(),
});

export const logRoutes = [
  route('POST', '/logs/', {
    summary:
      'Write logs (logs of a flow or task run are stored; logs of no run, such as a worker’s own, are not)',
    tags: ['Logs'],
    operation: WriteLogsDocument,
    body: z.array(logCreate),
    variables: ({ body, workspaceId }) => ({
      input: {
        workspaceId,
        logs: body
          .filter((l) => l.flow_run_id)
          .map((l) => ({
            flowRunId: l.flow_run_id!,
            taskRunId: l.task_run_id ?? undefined,
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

import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { Log } from './log.entity.js';
import { LogResolver, WorkerLogsResolver, WorkspaceLogsResolver } from './log.resolver.js';

/** Flow and task run logs, and workers' own. */
export const logsModule = defineModule<OperationsContext>({
  name: 'logs',
  layer: 'core',
  resolvers: [LogResolver, WorkspaceLogsResolver, WorkerLogsResolver],
  entities: [Log],
});

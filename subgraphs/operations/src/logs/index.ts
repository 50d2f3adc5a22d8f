import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { Log } from './log.entity.js';
import { logRetentionService } from './log-retention.js';
import { LogSettings } from './log-settings.entity.js';
import { LogResolver, WorkerLogsResolver, WorkspaceLogsResolver } from './log.resolver.js';

/** Flow and task run logs, and workers' own; their retention. */
export const logsModule = defineModule<OperationsContext>({
  name: 'logs',
  layer: 'core',
  resolvers: [LogResolver, WorkspaceLogsResolver, WorkerLogsResolver],
  entities: [Log, LogSettings],
  jobs: (sub) => [logRetentionService(sub)],
});

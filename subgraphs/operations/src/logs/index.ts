import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { Log } from './log.entity.js';
import { LogResolver, WorkspaceLogsResolver } from './log.resolver.js';

/** Flow and task run logs. */
export const logsModule = defineModule<OperationsContext>({
  name: 'logs',
  layer: 'core',
  resolvers: [LogResolver, WorkspaceLogsResolver],
  entities: [Log],
});

import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { Variable } from './variable.entity.js';
import { VariableResolver, WorkspaceVariablesResolver } from './variable.resolver.js';

/** Workspace variables. */
export const variablesModule = defineModule<OperationsContext>({
  name: 'variables',
  layer: 'core',
  resolvers: [VariableResolver, WorkspaceVariablesResolver],
  entities: [Variable],
});

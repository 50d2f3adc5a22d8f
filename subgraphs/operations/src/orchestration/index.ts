import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { RunState } from './run-state.entity.js';
import { runStateLoaders } from './run-state.loaders.js';

/** Run states and the orchestration policy that proposes them. */
export const orchestrationModule = defineModule<OperationsContext>({
  name: 'orchestration',
  layer: 'core',
  entities: [RunState],
  loaders: runStateLoaders,
});

import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { Workspace } from './workspace.type.js';

/** The `Workspace` entity stub that the other modules extend with fields. */
export const tenancyModule = defineModule<OperationsContext>({
  name: 'tenancy',
  layer: 'core',
  orphanedTypes: [Workspace],
  references: { Workspace: (ref) => ({ id: ref.id }) },
});

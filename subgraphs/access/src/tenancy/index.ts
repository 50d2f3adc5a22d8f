import { defineModule } from '../../../../lib/module.js';
import type { AccessContext } from '../context.js';
import { Account } from './account.type.js';
import { Workspace } from './workspace.type.js';

/** The `Account` and `Workspace` entities of other subgraphs, as access extends them. */
export const tenancyModule = defineModule<AccessContext>({
  name: 'tenancy',
  layer: 'core',
  orphanedTypes: [Account, Workspace],
  references: {
    Account: (ref) => ({ id: ref.id }),
    Workspace: (ref) => ({ id: ref.id }),
  },
});

import { defineModule } from '../../../../lib/module.js';
import type { WorkspacesContext } from '../context.js';
import { ViewerAccountsResolver } from './viewer.resolver.js';
import { Viewer } from './viewer.types.js';

/** The caller's accounts (`me.accounts`). */
export const viewerModule = defineModule<WorkspacesContext>({
  name: 'viewer',
  layer: 'core',
  resolvers: [ViewerAccountsResolver],
  orphanedTypes: [Viewer],
  references: { Viewer: (ref) => ({ id: ref.id }) },
});

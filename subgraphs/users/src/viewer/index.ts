import { defineModule } from '../../../../lib/module.js';
import type { UsersContext } from '../context.js';
import { ViewerResolver } from './viewer.resolver.js';

/** The signed-in caller (`me`) and signing in. */
export const viewerModule = defineModule<UsersContext>({
  name: 'viewer',
  layer: 'core',
  resolvers: [ViewerResolver],
});

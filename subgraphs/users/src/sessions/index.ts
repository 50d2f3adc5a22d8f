import { defineModule } from '../../../../lib/module.js';
import type { UsersContext } from '../context.js';
import { Session } from './session.entity.js';
import { SessionResolver } from './session.resolver.js';

/** Sign-in sessions. */
export const sessionsModule = defineModule<UsersContext>({
  name: 'sessions',
  layer: 'core',
  resolvers: [SessionResolver],
  entities: [Session],
});

import { defineSubgraph } from '../../../lib/module.js';
import type { UsersContext } from './context.js';
// In this order on purpose: type-graphql prints fields and types in the order their classes are
// evaluated, so this order keeps schema/ as it was (docs/modules.md).
import { apiKeysModule } from './api-keys/index.js';
import { migrations } from './migrations/index.js';
import { sessionsModule } from './sessions/index.js';
import { serviceAccountsModule } from './service-accounts/index.js';
import { usersModule } from './users/index.js';
import { viewerModule } from './viewer/index.js';
import { ssoModule } from './sso/index.js';

/** users: people, profiles, sessions, API keys and service accounts. */
export const usersSubgraph = defineSubgraph<UsersContext>({
  name: 'users',
  // Consumers of one event type run in this order (users, service accounts, SSO).
  modules: [
    usersModule,
    serviceAccountsModule,
    ssoModule,
    apiKeysModule,
    sessionsModule,
    viewerModule,
  ],
  migrations,
});

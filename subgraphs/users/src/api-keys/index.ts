import { defineModule } from '../../../../lib/module.js';
import type { UsersContext } from '../context.js';
import { ApiKey } from './api-key.entity.js';
import { ApiKeyResolver } from './api-key.resolver.js';

/** API keys of users and service accounts. */
export const apiKeysModule = defineModule<UsersContext>({
  name: 'api-keys',
  layer: 'core',
  resolvers: [ApiKeyResolver],
  entities: [ApiKey],
});

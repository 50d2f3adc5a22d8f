import { defineModule } from '../../../../lib/module.js';
import type { UsersContext } from '../context.js';
import { SsoBypass, SsoEnforcedDomain, SsoLoginCode } from './sso.entity.js';
import { SsoSignInResolver } from './sso.resolver.js';
import { ssoConsumers } from './sso.service.js';

/** Signing in through single sign-on; enforced domains and bypasses. */
export const ssoModule = defineModule<UsersContext>({
  name: 'sso',
  layer: 'core',
  resolvers: [SsoSignInResolver],
  entities: [SsoLoginCode, SsoEnforcedDomain, SsoBypass],
  consumers: ssoConsumers,
});

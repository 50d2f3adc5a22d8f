import { defineModule } from '../../../../lib/module.js';
import type { AccessContext } from '../context.js';
import { IdentityProvider } from './identity-provider.entity.js';
import { SsoDomain } from './sso-domain.entity.js';
import { SsoLoginAttempt, SsoMember, SsoUsedAssertion } from './sso-login.entity.js';
import { SsoSettings } from './sso-settings.entity.js';
import { ssoConsumers } from './sso.consumers.js';
import { ssoProvides } from './sso.loaders.js';
import { AccountSsoResolver, IdentityProviderResolver } from './sso.resolver.js';

/** Single sign-on: identity providers (OIDC, SAML), verified domains, the account's SSO policy. */
export const ssoModule = defineModule<AccessContext>({
  name: 'sso',
  layer: 'sso',
  resolvers: [IdentityProviderResolver, AccountSsoResolver],
  entities: [
    IdentityProvider,
    SsoSettings,
    SsoDomain,
    SsoLoginAttempt,
    SsoUsedAssertion,
    SsoMember,
  ],
  provides: ssoProvides,
  consumers: ssoConsumers,
});

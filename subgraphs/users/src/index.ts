import { combineConsumers } from '../../../lib/outbox.js';
import { defineModule, type SubgraphDefinition } from '../../../lib/module.js';
import { ApiKey } from './api-keys/api-key.entity.js';
import { ApiKeyResolver } from './api-keys/api-key.resolver.js';
import { usersLoaders, usersProvides, type UsersContext } from './context.js';
import { migrations } from './migrations/index.js';
import { Session } from './sessions/session.entity.js';
import { SessionResolver } from './sessions/session.resolver.js';
import { Account } from './service-accounts/account.type.js';
import {
  ServiceAccountGrants,
  serviceAccountGrantsConsumers,
} from './service-accounts/service-account-authority.js';
import { ServiceAccount } from './service-accounts/service-account.entity.js';
import {
  AccountServiceAccountsResolver,
  ServiceAccountResolver,
} from './service-accounts/service-account.resolver.js';
import { User } from './users/user.entity.js';
import { userMembershipConsumers } from './users/user-membership.consumers.js';
import { UserMembership } from './users/user-membership.entity.js';
import { UserResolver } from './users/user.resolver.js';
import { ViewerResolver } from './viewer/viewer.resolver.js';
import { SsoBypass, SsoEnforcedDomain, SsoLoginCode } from './sso/sso.entity.js';
import { SsoSignInResolver } from './sso/sso.resolver.js';
import { ssoConsumers } from './sso/sso.service.js';

/**
 * The users subgraph as one module (not yet split by domain; see the operations subgraph for
 * modules per domain).
 */
const users = defineModule<UsersContext>({
  name: 'users',
  layer: 'core',
  resolvers: [
    UserResolver,
    SessionResolver,
    ApiKeyResolver,
    ServiceAccountResolver,
    AccountServiceAccountsResolver,
    ViewerResolver,
    SsoSignInResolver,
  ],
  // Account is only extended here (no root field returns it), so it must be listed.
  orphanedTypes: [Account],
  entities: [
    User,
    Session,
    ApiKey,
    ServiceAccount,
    UserMembership,
    ServiceAccountGrants,
    SsoLoginCode,
    SsoEnforcedDomain,
    SsoBypass,
  ],
  provides: usersProvides,
  loaders: usersLoaders,
  consumers: combineConsumers(userMembershipConsumers, serviceAccountGrantsConsumers, ssoConsumers),
  references: {
    User: (ref, ctx) => ctx.loaders.userById.load(ref.id),
    ServiceAccount: (ref, ctx) => ctx.loaders.serviceAccountById.load(ref.id),
    Account: (ref) => ({ id: ref.id }),
  },
});

/** users: people, profiles, sessions, API keys and service accounts. */
export const usersSubgraph: SubgraphDefinition<UsersContext> = {
  name: 'users',
  modules: [users],
  migrations,
};

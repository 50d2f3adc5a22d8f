import { defineModule } from '../../../../lib/module.js';
import type { UsersContext } from '../context.js';
import { userMembershipConsumers } from './user-membership.consumers.js';
import { UserMembership } from './user-membership.entity.js';
import { User } from './user.entity.js';
import { userLoaders, usersProvides } from './user.loaders.js';
import { UserResolver } from './user.resolver.js';

/** People and their profiles, memberships as the users subgraph knows them, the sign-in throttle. */
export const usersModule = defineModule<UsersContext>({
  name: 'users',
  layer: 'core',
  resolvers: [UserResolver],
  entities: [User, UserMembership],
  provides: usersProvides,
  loaders: userLoaders,
  references: { User: (ref, ctx) => ctx.loaders.userRefById.load(ref.id) },
  consumers: userMembershipConsumers,
});

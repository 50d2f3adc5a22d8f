import { defineModule } from '../../../../lib/module.js';
import type { WorkspacesContext } from '../context.js';
import { consumers } from './membership.consumers.js';
import { AccountMembership } from './membership.entity.js';
import { membershipLoaders } from './membership.loaders.js';
import { MembershipResolver } from './membership.resolver.js';

/** Members of accounts; keeps memberships and grants in step with the other subgraphs. */
export const membershipsModule = defineModule<WorkspacesContext>({
  name: 'memberships',
  layer: 'core',
  resolvers: [MembershipResolver],
  entities: [AccountMembership],
  loaders: membershipLoaders,
  consumers,
});

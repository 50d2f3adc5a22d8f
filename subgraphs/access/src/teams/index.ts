import { defineModule } from '../../../../lib/module.js';
import type { AccessContext } from '../context.js';
import { Team, TeamMember } from './team.entity.js';
import { teamLoaders } from './team.loaders.js';
import { AccountTeamsResolver, TeamMemberResolver, TeamResolver } from './team.resolver.js';

/** Teams of an account and their members. */
export const teamsModule = defineModule<AccessContext>({
  name: 'teams',
  layer: 'core',
  resolvers: [TeamResolver, TeamMemberResolver, AccountTeamsResolver],
  entities: [Team, TeamMember],
  loaders: teamLoaders,
});

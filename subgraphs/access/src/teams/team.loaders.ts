import type { BaseContext } from '../../../../lib/module.js';
import { byId, readableGroupedBy } from '../../../../lib/loaders.js';
import { Team, TeamMember } from './team.entity.js';

/** Per-request loaders of the teams module. */
export function teamLoaders({ em, ability }: BaseContext) {
  return {
    /** Teams of each account the caller may see teams of, by name. */
    teamsByAccount: readableGroupedBy(em, ability, 'Team', Team, 'accountId', { name: 'asc' }),
    /** Members of each team the caller may see, oldest first. */
    membersByTeam: readableGroupedBy(em, ability, 'Team', TeamMember, 'teamId', {
      createdAt: 'asc',
      id: 'asc',
    }),
    /** Teams by id, for fields of objects the caller already sees. */
    teamById: byId(em, Team),
  };
}

type TeamLoaders = ReturnType<typeof teamLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AccessLoaders extends TeamLoaders {}
}

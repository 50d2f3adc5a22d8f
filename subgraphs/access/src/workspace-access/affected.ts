import type { EntityManager } from '@mikro-orm/core';
import { PrincipalType, type BindingTarget } from '../common/principals.js';
import { TeamMember } from '../teams/team.entity.js';

/**
 * Whose grants a change of these bindings affects: users and service accounts themselves, and
 * the members of teams (one query whatever the number of teams).
 */
export async function affectedPrincipals(
  em: EntityManager,
  targets: BindingTarget[],
): Promise<string[]> {
  const ids = new Set(
    targets.filter((t) => t.principalType !== PrincipalType.TEAM).map((t) => t.principalId),
  );
  const teamIds = targets
    .filter((t) => t.principalType === PrincipalType.TEAM)
    .map((t) => t.principalId);
  if (teamIds.length) {
    const members = await em.find(
      TeamMember,
      { teamId: { $in: teamIds } },
      { fields: ['principalId'] },
    );
    for (const m of members) ids.add(m.principalId);
  }
  return [...ids];
}

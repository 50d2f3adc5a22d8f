import { isUuid } from '../../../../lib/db.js';
import { badInput } from '../../../../lib/errors.js';

/** Who a binding or a team membership is for. Shown in the schema as `user`, `serviceAccount` or `team`. */
export enum PrincipalType {
  USER = 'USER',
  SERVICE_ACCOUNT = 'SERVICE_ACCOUNT',
  TEAM = 'TEAM',
}

export interface BindingTarget {
  principalType: PrincipalType;
  principalId: string;
}

/** Reads "exactly one of userId, serviceAccountId and teamId" from an input. */
export function targetOf(input: {
  userId?: string | null;
  serviceAccountId?: string | null;
  teamId?: string | null;
}): BindingTarget {
  const given = (
    [
      ['userId', PrincipalType.USER, input.userId],
      ['serviceAccountId', PrincipalType.SERVICE_ACCOUNT, input.serviceAccountId],
      ['teamId', PrincipalType.TEAM, input.teamId],
    ] as const
  ).filter(([, , id]) => id);
  if (!given.length) throw badInput('userId', 'Give userId, serviceAccountId or teamId');
  if (given.length > 1) {
    throw badInput(given[1]![0], 'Give only one of userId, serviceAccountId and teamId');
  }
  const [field, principalType, principalId] = given[0]!;
  if (!isUuid(principalId)) throw badInput(field, 'Not a valid id');
  return { principalType, principalId };
}

import { Entity, Index, PrimaryKey } from '@mikro-orm/core';

/**
 * Which accounts a user belongs to, as the workspaces subgraph announces it
 * (`account-membership.*` events): whom the user's profile is shown to (`user(id)`).
 */
@Entity({ tableName: 'user_membership' })
@Index({ properties: ['accountId'] })
export class UserMembership {
  @PrimaryKey({ type: 'uuid' })
  userId!: string;

  @PrimaryKey({ type: 'uuid' })
  accountId!: string;
}

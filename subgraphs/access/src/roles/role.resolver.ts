import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { AccessContext } from '../context.js';
import { CreateRoleInput, UpdateRoleInput } from './role.inputs.js';
import { RoleService } from './role.service.js';
import { Role } from './role.types.js';

@Resolver(() => Role)
export class RoleResolver {
  @Query(() => [Role], {
    description:
      'Roles of an account (needs read:role): the built-in ones first, then its custom roles by level and name.',
  })
  roles(@Arg('accountId', () => ID) accountId: string, @Ctx() ctx: AccessContext): Promise<Role[]> {
    return new RoleService(ctx).list(accountId);
  }

  @Mutation(() => Role, {
    description:
      'Define a custom role (needs manage:role; an account role may only grant what the caller holds).',
  })
  createRole(
    @Arg('input', () => CreateRoleInput) input: CreateRoleInput,
    @Ctx() ctx: AccessContext,
  ): Promise<Role> {
    return new RoleService(ctx).create(input);
  }

  @Mutation(() => Role, {
    description:
      'Change a custom role (needs manage:role); everyone who has it gets the change at once.',
  })
  updateRole(
    @Arg('input', () => UpdateRoleInput) input: UpdateRoleInput,
    @Ctx() ctx: AccessContext,
  ): Promise<Role> {
    return new RoleService(ctx).update(input);
  }

  @Mutation(() => ID, {
    description:
      'Delete a custom role (needs manage:role); CONFLICT while it is given to anyone. Returns its id.',
  })
  deleteRole(@Arg('id', () => ID) id: string, @Ctx() ctx: AccessContext): Promise<string> {
    return new RoleService(ctx).delete(id);
  }
}

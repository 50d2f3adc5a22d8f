import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ConnectionArgs } from '../../../../lib/pagination.js';
import type { OperationsContext } from '../context.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { Variable } from './variable.entity.js';
import { SetVariableInput, VariableConnection, VariableFilter } from './variable.inputs.js';
import { VariableService } from './variable.service.js';

@Resolver(() => Variable)
export class VariableResolver {
  @Query(() => Variable, {
    nullable: true,
    description: 'A variable by id (needs see_variables in its workspace; NOT_FOUND otherwise).',
  })
  variable(@Arg('id', () => ID) id: string, @Ctx() ctx: OperationsContext): Promise<Variable> {
    return new VariableService(ctx).get(id);
  }

  @FieldResolver(() => Workspace, { description: 'The workspace it belongs to.' })
  workspace(@Root() v: Variable): Workspace {
    return { id: v.workspaceId };
  }

  @Mutation(() => Variable, {
    description: 'Create a variable or replace its value by name (needs manage_variables).',
  })
  setVariable(
    @Arg('input', () => SetVariableInput) input: SetVariableInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Variable> {
    return new VariableService(ctx).set(input);
  }

  @Mutation(() => Variable, {
    description:
      'Create a variable; CONFLICT when the workspace has one of this name (needs manage_variables).',
  })
  createVariable(
    @Arg('input', () => SetVariableInput) input: SetVariableInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Variable> {
    return new VariableService(ctx).set(input, true);
  }

  @Mutation(() => ID, {
    description: 'Delete a variable (needs manage_variables); returns its id.',
  })
  deleteVariable(@Arg('id', () => ID) id: string, @Ctx() ctx: OperationsContext): Promise<string> {
    return new VariableService(ctx).delete(id);
  }
}

@Resolver(() => Workspace)
export class WorkspaceVariablesResolver {
  @FieldResolver(() => VariableConnection, {
    description: 'Variables of the workspace, oldest first (needs see_variables).',
  })
  variables(
    @Root() workspace: Workspace,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => VariableFilter, {
      nullable: true,
      description: 'Which variables to list.',
    })
    filter: VariableFilter | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<VariableConnection> {
    return new VariableService(ctx).list(workspace.id, args, filter);
  }

  @FieldResolver(() => Variable, {
    nullable: true,
    description: 'A variable by name; null when there is none (needs see_variables).',
  })
  variableByName(
    @Root() workspace: Workspace,
    @Arg('name', () => String, { description: 'The variable name.' }) name: string,
    @Ctx() ctx: OperationsContext,
  ): Promise<Variable | null> {
    return new VariableService(ctx).byName(workspace.id, name);
  }
}

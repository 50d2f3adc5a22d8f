import { Field, ObjectType, registerEnumType } from 'type-graphql';

export enum PermissionLevel {
  ACCOUNT = 'ACCOUNT',
  WORKSPACE = 'WORKSPACE',
}
registerEnumType(PermissionLevel, {
  name: 'PermissionLevel',
  description: 'Where a permission or a role applies.',
  valuesConfig: {
    ACCOUNT: {
      description: 'To an account: members, settings, service accounts, roles, audit log.',
    },
    WORKSPACE: {
      description: 'To one workspace: flows, deployments, runs, work pools and the rest.',
    },
  },
});

/** One entry of the permission catalogue (lib/permissions.ts); data, not scattered strings. */
@ObjectType({
  description: 'A named permission of the catalogue, e.g. `see_flows` or `create:workspace`.',
})
export class Permission {
  @Field(() => String, {
    description:
      'Stable name: `see_x`, `manage_x`, `run_x` (workspace) or `verb:object` (account).',
  })
  name!: string;

  @Field(() => String, { description: 'Human-readable title.' })
  title!: string;

  @Field(() => String, { description: 'Group it is listed under, e.g. "Flows" or "Members".' })
  group!: string;

  @Field(() => PermissionLevel, {
    description: 'Whether it is granted in an account or in a workspace.',
  })
  level!: PermissionLevel;

  @Field(() => [String], {
    description: 'Names of the permissions it implies (manage_x includes see_x).',
  })
  includes!: string[];
}

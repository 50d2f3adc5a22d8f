import { Arg, Field, ID } from 'type-graphql';

/**
 * What an optional `workspaceId` next to an id says (`what`: the object the id names). The REST
 * layer passes its URL's workspace, so an id of another workspace answers as a missing one there
 * (Prefect's 404) even when the caller may reach both, and nothing changes.
 */
export function workspaceBoundDescription(what: string): string {
  return `When given, the ${what} must belong to this workspace (NOT_FOUND otherwise, nothing changed): the REST layer passes the workspace of its URL.`;
}

/** The optional `workspaceId` argument of a query or mutation addressed by id. */
export function WorkspaceBoundArg(what: string): ReturnType<typeof Arg> {
  return Arg('workspaceId', () => ID, {
    nullable: true,
    description: workspaceBoundDescription(what),
  });
}

/** The optional `workspaceId` field of an input addressed by id. */
export function WorkspaceBoundField(what: string): ReturnType<typeof Field> {
  return Field(() => ID, { nullable: true, description: workspaceBoundDescription(what) });
}

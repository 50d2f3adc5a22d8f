import { z } from 'zod';
import {
  CreateVariableDocument,
  FilterVariablesDocument,
  ReadVariableByNameDocument,
  SetVariableDocument,
} from '../generated/graphql.js';
import { toPrefectVariable } from '../prefect/platform.js';
import { page } from '../prefect/shapes.js';
import { notFound, route, type Lookup } from '../route.js';
import { paged, windowOf } from './util.js';

const variableCreate = z.object({
  name: z.string(),
  value: z.unknown(),
  tags: z.array(z.string()).nullish(),
});

const variableUpdate = z.object({
  name: z.string().nullish(),
  value: z.unknown(),
  tags: z.array(z.string()).nullish(),
});

/** The variable the URL names, in the URL's workspace: Prefect's PATCH changes one, or 404s. */
const variableByName: Lookup<unknown> = {
  operation: ReadVariableByNameDocument,
  variables: ({ params, workspaceId }) => ({ workspaceId, name: params.name }),
  result: (d) => d.workspace?.variableByName ?? notFound('Variable'),
};

export const variableRoutes = [
  route('GET', '/variables/name/{name}', {
    summary: 'Read a variable by name',
    tags: ['Variables'],
    operation: ReadVariableByNameDocument,
    variables: ({ params, workspaceId }) => ({ workspaceId, name: params.name }),
    result: (d) => toPrefectVariable(d.workspace?.variableByName ?? notFound('Variable')),
  }),
  route('POST', '/variables/', {
    summary: 'Create a variable (409 when one of this name exists)',
    tags: ['Variables'],
    operation: CreateVariableDocument,
    body: variableCreate,
    variables: ({ body, workspaceId }) => ({
      input: { workspaceId, name: body.name, value: body.value ?? null, tags: body.tags ?? [] },
    }),
    result: (d) => toPrefectVariable(d.createVariable),
    status: 201,
  }),
  route('PATCH', '/variables/name/{name}', {
    summary: 'Change a variable’s value or tags (404 when the workspace has none of this name)',
    tags: ['Variables'],
    lookup: variableByName,
    operation: SetVariableDocument,
    body: variableUpdate,
    variables: ({ body, params, workspaceId }) => ({
      input: {
        workspaceId,
        name: params.name,
        value: body.value ?? null,
        tags: body.tags ?? undefined,
      },
    }),
    result: () => null,
    status: 204,
  }),
  route('POST', '/variables/filter', {
    summary: 'Read variables',
    tags: ['Variables'],
    operation: FilterVariablesDocument,
    body: z.object({
      ...page,
      variables: z.object({ name: z.object({ like_: z.string().nullish() }).nullish() }).nullish(),
    }),
    variables: ({ body, workspaceId }) => ({
      workspaceId,
      filter: { namePrefix: body.variables?.name?.like_ ?? undefined },
      first: windowOf(body),
    }),
    result: (d, { body }) =>
      paged(d.workspace?.variables.edges.map((e) => e.node) ?? [], body).map(toPrefectVariable),
  }),
];

import { z } from 'zod';
import { getOperationAST, type DocumentNode } from 'graphql';
import { FLOWPLANE_EXTENSIONS, pathParamIsUuid, type Route } from './route.js';
import { PREFECT_API_VERSION } from './prefect/version.js';

const WORKSPACE_PREFIX = '/api/accounts/{account_id}/workspaces/{workspace_id}';

type Schema = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), without `$schema`. */
function jsonSchema(schema: z.ZodType): Schema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Schema;
  return rest;
}

const validationError: Schema = {
  type: 'object',
  properties: {
    detail: {
      type: 'array',
      items: {
        type: 'object',
        required: ['loc', 'msg', 'type'],
        properties: {
          loc: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
          msg: { type: 'string' },
          type: { type: 'string' },
        },
      },
    },
  },
  required: ['detail'],
};

const httpError: Schema = {
  type: 'object',
  properties: { detail: { type: 'string' }, request_id: { type: 'string' } },
  required: ['detail'],
};

const errorResponse = (description: string, schema: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
});

function operationId(route: Route): string {
  const name = route.operation
    ? getOperationAST(route.operation as DocumentNode)?.name?.value
    : undefined;
  const path = route.path
    .replace(/[{}]/g, '')
    .split('/')
    .filter(Boolean)
    .join('_')
    .replace(/[^A-Za-z0-9_]/g, '_');
  return `${route.method.toLowerCase()}_${path || 'root'}${name ? `__${name}` : ''}`;
}

/**
 * The OpenAPI 3.1 document of the REST layer, generated from the route table (the router's
 * own list): paths, parameters, request bodies from the routes' zod schemas, responses and
 * Prefect's error bodies.
 */
export function openApiDocument(routes: readonly Route[]): Schema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const prefix = route.scope === 'workspace' ? WORKSPACE_PREFIX : '/api';
    const path = `${prefix}${route.path}`;
    const routeParams = route.segments.filter((s) => s.startsWith('{')).map((s) => s.slice(1, -1));
    const pathParams = [
      ...(route.scope === 'workspace' ? ['account_id', 'workspace_id'] : []),
      ...routeParams,
    ];
    const status = String(route.status ?? 200);
    const responses: Record<string, unknown> = {
      [status]:
        status === '204'
          ? { description: 'Done' }
          : {
              description: 'Success',
              content: {
                'application/json': { schema: route.response ? jsonSchema(route.response) : {} },
              },
            },
    };
    for (const [code, a] of Object.entries(route.answers ?? {})) {
      const text = a.contentType?.startsWith('text/');
      responses[code] = {
        description: a.description,
        ...(a.headers?.length
          ? {
              headers: Object.fromEntries(
                a.headers.map((h) => [h, { schema: { type: 'string' }, required: true }]),
              ),
            }
          : {}),
        content: text
          ? { [a.contentType!.split(';')[0]]: { schema: { type: 'string' } } }
          : { 'application/json': { schema: { $ref: '#/components/schemas/HTTPError' } } },
      };
    }
    if (route.operation) {
      responses['401'] = errorResponse('Missing, invalid, expired or revoked API key', 'HTTPError');
      responses['403'] = errorResponse('The key lacks a permission', 'HTTPError');
      responses['404'] = errorResponse('Not found in this workspace', 'HTTPError');
      responses['409'] = errorResponse('Conflicts with an existing object', 'HTTPError');
      responses['422'] = errorResponse('Invalid request', 'HTTPValidationError');
      responses['429'] = errorResponse('Rate limited (see Retry-After)', 'HTTPError');
    }
    const op: Record<string, unknown> = {
      operationId: operationId(route),
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: route.tags,
      parameters: [
        ...pathParams.map((name) => ({
          name,
          in: 'path',
          required: true,
          schema:
            routeParams.includes(name) && pathParamIsUuid(route, name)
              ? { type: 'string', format: 'uuid' }
              : { type: 'string' },
        })),
        ...(route.queryParams ?? []).map((name) => ({
          name,
          in: 'query',
          required: false,
          schema: { type: 'string' },
        })),
      ],
      responses,
    };
    if (route.body) {
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: jsonSchema(route.body) } },
      };
    }
    if (!route.operation) op.security = [];
    (paths[path] ??= {})[route.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Flowplane REST API (Prefect dialect)',
      version: PREFECT_API_VERSION,
      description:
        'Prefect’s REST API on Flowplane: each route runs a named GraphQL operation through the gateway (same authentication, permissions, limits and audit). Authenticate with `Authorization: Bearer <API key>`.',
    },
    servers: [{ url: '/' }],
    tags: [
      {
        name: FLOWPLANE_EXTENSIONS,
        description:
          'Not in Prefect’s API: routes Flowplane adds (Prefect’s client never calls them). Fields Flowplane adds to Prefect’s JSON (e.g. a flow run’s `error_summary`) are described in the responses; Prefect’s client ignores them.',
      },
    ],
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
      schemas: { HTTPValidationError: validationError, HTTPError: httpError },
    },
    paths,
  };
}

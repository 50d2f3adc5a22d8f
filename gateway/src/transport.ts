import type { GraphQLRequest } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { Subgraph } from '../../lib/subgraph.js';

export type SubgraphName = 'users' | 'workspaces' | 'access' | 'operations';
export const SUBGRAPH_NAMES: readonly SubgraphName[] = [
  'users',
  'workspaces',
  'access',
  'operations',
];

export interface SubgraphResult {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
}

/** How the gateway reaches a subgraph: a function call (embedded) or HTTP (distributed). */
export interface SubgraphTransport {
  execute(name: SubgraphName, request: GraphQLRequest, token: string): Promise<SubgraphResult>;
  ready(): Promise<Record<SubgraphName, boolean>>;
}

/** Embedded mode: no HTTP hop, the subgraph's Apollo pipeline runs in this process. */
export class InProcessTransport implements SubgraphTransport {
  constructor(private readonly subgraphs: Record<SubgraphName, Subgraph<any>>) {}

  execute(name: SubgraphName, request: GraphQLRequest, token: string): Promise<SubgraphResult> {
    return this.subgraphs[name].execute(request, token);
  }

  async ready(): Promise<Record<SubgraphName, boolean>> {
    const entries = await Promise.all(
      SUBGRAPH_NAMES.map(async (n) => [n, await this.subgraphs[n].ready()] as const),
    );
    return Object.fromEntries(entries) as Record<SubgraphName, boolean>;
  }
}

/** Distributed mode: POST to each subgraph's /graphql; Node's fetch keeps connections alive. */
export class HttpTransport implements SubgraphTransport {
  constructor(private readonly urls: Record<SubgraphName, string>) {}

  async execute(
    name: SubgraphName,
    request: GraphQLRequest,
    token: string,
  ): Promise<SubgraphResult> {
    const res = await fetch(this.urls[name], {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({
        query: request.query,
        variables: request.variables,
        operationName: request.operationName,
      }),
    });
    const text = await res.text();
    try {
      return JSON.parse(text) as SubgraphResult;
    } catch {
      return {
        errors: [
          {
            message: `Subgraph ${name} answered ${res.status}`,
            extensions: { code: 'INTERNAL_SERVER_ERROR' },
          },
        ],
      };
    }
  }

  async ready(): Promise<Record<SubgraphName, boolean>> {
    const entries = await Promise.all(
      SUBGRAPH_NAMES.map(async (n) => {
        try {
          const res = await fetch(new URL('/ready', this.urls[n]), {
            signal: AbortSignal.timeout(2000),
          });
          return [n, res.ok] as const;
        } catch {
          return [n, false] as const;
        }
      }),
    );
    return Object.fromEntries(entries) as Record<SubgraphName, boolean>;
  }
}

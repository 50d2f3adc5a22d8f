import { z } from 'zod';
import { EnsureFlowDocument, FilterFlowsDocument, ReadFlowDocument } from '../generated/graphql.js';
import { page, toPrefectFlow } from '../prefect/shapes.js';
import { notFound, route } from '../route.js';
import { paged, windowOf } from './util.js';

const flowCreate = z.object({
  name: z.string(),
  tags: z.array(z.string()).nullish(),
  labels: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullish(),
});

const flowFilter = z.object({
  ...page,
  flows: z
    .object({
      name: z
        .object({ any_: z.array(z.string()).nullish(), like_: z.string().nullish() })
        .nullish(),
      tags: z.object({ all_: z.array(z.string()).nullish() }).nullish(),
    })
    .nullish(),
});

export const flowRoutes = [
  route('POST', '/flows/', {
    summary: 'Create a flow, or return the flow of this name',
    tags: ['Flows'],
    operation: EnsureFlowDocument,
    body: flowCreate,
    variables: ({ body, workspaceId }) => ({
      input: { workspaceId, name: body.name, tags: body.tags ?? [], labels: body.labels ?? {} },
    }),
    result: (d) => toPrefectFlow(d.ensureFlow),
    status: 201,
  }),
  route('GET', '/flows/{id}', {
    summary: 'Read a flow',
    tags: ['Flows'],
    operation: ReadFlowDocument,
    variables: ({ params, workspaceId }) => ({ id: params.id, workspaceId }),
    result: (d) => toPrefectFlow(d.flow ?? notFound('Flow')),
  }),
  route('GET', '/flows/name/{name}', {
    summary: 'Read a flow by name',
    tags: ['Flows'],
    operation: FilterFlowsDocument,
    variables: ({ params, workspaceId }) => ({
      workspaceId,
      filter: { nameContains: params.name },
      first: 200,
    }),
    result: (d, { params }) => {
      const flow = d.workspace?.flows.edges.find((e) => e.node.name === params.name)?.node;
      return toPrefectFlow(flow ?? notFound('Flow'));
    },
  }),
  route('POST', '/flows/filter', {
    summary: 'Read flows',
    tags: ['Flows'],
    operation: FilterFlowsDocument,
    body: flowFilter,
    variables: ({ body, workspaceId }) => ({
      workspaceId,
      filter: {
        nameContains: body.flows?.name?.like_ ?? undefined,
        tags: body.flows?.tags?.all_ ?? undefined,
      },
      first: windowOf(body),
    }),
    result: (d, { body }) => {
      const names = body.flows?.name?.any_;
      const flows = (d.workspace?.flows.edges ?? [])
        .map((e) => e.node)
        .filter((f) => !names || names.includes(f.name));
      return paged(flows, body).map(toPrefectFlow);
    },
  }),
];

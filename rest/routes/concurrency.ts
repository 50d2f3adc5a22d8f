import { z } from 'zod';
import {
  AcquireConcurrencySlotsDocument,
  CreateGlobalConcurrencyLimitDocument,
  GlobalConcurrencyLimitsDocument,
  ReleaseConcurrencySlotsDocument,
  RenewConcurrencyLeaseDocument,
} from '../generated/graphql.js';
import { toPrefectGlobalLimit } from '../prefect/platform.js';
import { Answer, notFound, route } from '../route.js';

const increment = z.object({
  names: z.array(z.string()).min(1),
  slots: z.number().int().min(1),
  mode: z.literal('concurrency').default('concurrency'),
  lease_duration: z.number().min(1).max(86_400).default(300),
  holder: z.unknown().optional(),
});

const limitCreate = z.object({
  name: z.string(),
  limit: z.number().int(),
  active: z.boolean().nullish(),
});

export const concurrencyRoutes = [
  route('POST', '/v2/concurrency_limits/increment-with-lease', {
    summary:
      'Take slots of global concurrency limits under a lease (423 + Retry-After while full; names without a limit are not limited)',
    tags: ['Concurrency Limits V2'],
    operation: AcquireConcurrencySlotsDocument,
    body: increment,
    variables: ({ body, workspaceId }) => ({
      input: {
        workspaceId,
        names: body.names,
        slots: body.slots,
        leaseSeconds: Math.ceil(body.lease_duration),
        skipMissing: true,
      },
    }),
    fields: { leaseSeconds: 'lease_duration' },
    result: (d) => {
      const r = d.acquireConcurrencySlots;
      if (r.status === 'ACQUIRED' && r.lease)
        return {
          lease_id: r.lease.id,
          limits: r.lease.limits.map((l) => ({ id: l.id, name: l.name, limit: l.limit })),
        };
      const retry = String(r.retryAfterSeconds ?? 1);
      return new Answer(423, { detail: r.reason ?? 'No free slot' }, { 'retry-after': retry });
    },
    answers: {
      423: {
        description: 'No free slot now: retry after Retry-After seconds',
        headers: ['retry-after'],
      },
    },
  }),
  route('POST', '/v2/concurrency_limits/decrement-with-lease', {
    summary: 'Release the slots of a lease',
    tags: ['Concurrency Limits V2'],
    operation: ReleaseConcurrencySlotsDocument,
    body: z.object({ lease_id: z.uuid() }),
    variables: ({ body, workspaceId }) => ({ leaseId: body.lease_id, workspaceId }),
    result: () => null,
    status: 204,
  }),
  route('POST', '/v2/concurrency_limits/leases/{id}/renew', {
    summary: 'Extend a lease (410 when it was released or has expired)',
    tags: ['Concurrency Limits V2'],
    operation: RenewConcurrencyLeaseDocument,
    body: z.object({ lease_duration: z.number().min(1).max(86_400) }),
    variables: ({ params, body, workspaceId }) => ({
      leaseId: params.id,
      leaseSeconds: Math.ceil(body.lease_duration),
      workspaceId,
    }),
    fields: { leaseSeconds: 'lease_duration' },
    result: (d) =>
      d.renewConcurrencyLease ? null : new Answer(410, { detail: 'Lease not found or expired' }),
    status: 204,
    answers: { 410: { description: 'The lease was released or has expired' } },
  }),
  route('POST', '/v2/concurrency_limits/', {
    summary: 'Create a global concurrency limit',
    tags: ['Concurrency Limits V2'],
    operation: CreateGlobalConcurrencyLimitDocument,
    body: limitCreate,
    variables: ({ body, workspaceId }) => ({
      input: {
        workspaceId,
        kind: 'GLOBAL' as const,
        name: body.name,
        limit: body.limit,
        active: body.active ?? true,
      },
    }),
    result: (d) => toPrefectGlobalLimit(d.createConcurrencyLimit),
    status: 201,
  }),
  route('GET', '/v2/concurrency_limits/{name}', {
    summary: 'Read a global concurrency limit by id or name',
    tags: ['Concurrency Limits V2'],
    operation: GlobalConcurrencyLimitsDocument,
    variables: ({ workspaceId }) => ({ workspaceId }),
    result: (d, { params }) => {
      const l = d.workspace?.concurrencyLimits.edges
        .map((e) => e.node)
        .find((x) => x.id === params.name || x.name === params.name);
      return toPrefectGlobalLimit(l ?? notFound('Concurrency limit'));
    },
  }),
];

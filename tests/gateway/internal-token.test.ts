import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeServer, listen } from '../../lib/http.js';
import { InternalTokens } from '../../lib/internal-token.js';
import { NO_GRANTS } from '../../lib/principal.js';
import { SUBGRAPH_NAMES } from '../../gateway/src/transport.js';
import { gqlRequest } from '../harness/client.js';
import { startStack, type Stack } from '../harness/stack.js';

let stack: Stack;
const servers: Server[] = [];
const urls: Record<string, string> = {};

beforeAll(async () => {
  stack = await startStack();
  for (const name of SUBGRAPH_NAMES) {
    const server = stack.running.subgraphs[name]!.httpServer();
    servers.push(server);
    urls[name] = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}/graphql`;
  }
});
afterAll(async () => {
  for (const s of servers) await closeServer(s);
  await stack?.stop();
});

describe('subgraphs are not usable without the gateway', () => {
  it.each(SUBGRAPH_NAMES)('%s rejects a call with no token', async (name) => {
    const res = await gqlRequest(urls[name]!, '{ __typename }');
    expect(res.status).toBe(401);
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.data ?? null).toBeNull();
  });

  it.each(SUBGRAPH_NAMES)('%s rejects a token signed with another secret', async (name) => {
    const forged = await new InternalTokens('x'.repeat(40)).sign({
      principal: { type: 'system', id: 'attacker' },
      grants: NO_GRANTS,
    });
    const res = await gqlRequest(urls[name]!, '{ __typename }', undefined, forged);
    expect(res.status).toBe(401);
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('rejects a user credential sent straight to a subgraph', async () => {
    const alice = await stack.signUp();
    const res = await gqlRequest(urls.users!, '{ me { id } }', undefined, alice.token);
    expect(res.status).toBe(401);
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('internal fields are not part of the public API', async () => {
    const res = await stack.gql(`{ _principalByCredential(credentialHash: "x") { id } }`);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message).toMatch(/Cannot query field/);
  });
});

describe('embedded mode', () => {
  it('hands claims to in-process subgraphs: no token is signed or verified per request', async () => {
    const alice = await stack.signUp();
    await alice.gql(`{ me { id } }`); // identity cached
    const sign = vi.spyOn(InternalTokens.prototype, 'sign');
    const verify = vi.spyOn(InternalTokens.prototype, 'verify');
    try {
      const res = await alice.gql(`{ me { id accounts { id workspaces { id } } } }`);
      expect(res.errors).toBeUndefined();
      expect(res.data.me.id).toBe(alice.userId);
      expect(sign).not.toHaveBeenCalled();
      expect(verify).not.toHaveBeenCalled();
    } finally {
      sign.mockRestore();
      verify.mockRestore();
    }
  });
});

describe('health and readiness', () => {
  it('answers /health and /ready with every subgraph ready', async () => {
    const base = stack.url.replace('/graphql', '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      subgraphs: { users: true, workspaces: true, access: true, operations: true },
    });
  });
});

import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { EntityManager } from '@mikro-orm/core';
import { QueryCounter } from './lib/orm.js';
import { SUBGRAPH_NAMES, type SubgraphName } from './gateway/src/transport.js';
import { startEmbedded } from './server/services.js';
import { dropSchemas } from './tests/harness/stack.js';
import { graphqlClient } from './bench/http-client.js';
import { benchEnv } from './bench/load.js';
import { seed } from './bench/orchestration.js';
import { plainFallbacks } from './lib/plain-sql.js';
const als = new AsyncLocalStorage<{ n: number }>();
const empties = new Map<string, number>();
const orig = EntityManager.prototype.transactional;
(EntityManager.prototype as any).transactional = function (fn: any, opts: any) {
  const store = { n: 0 }; (globalThis as any).zzCalls = ((globalThis as any).zzCalls ?? 0) + 1;
  const stack = new Error().stack!.split('\n').slice(2, 9).join('\n');
  return als.run(store, () => orig.call(this, fn, opts)).then((r: unknown) => {
    { const k = store.n + ' stmts\n' + stack; empties.set(k, (empties.get(k) ?? 0) + 1); }
    return r;
  });
};
class Log extends QueryCounter { override record(line: string) { const s = als.getStore(); if (s && !/\] (begin|commit)/.test(line)) s.n++; } }
const logs = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, new Log()])) as Record<SubgraphName, Log>;
const prefix = `bench_zz_${randomBytes(3).toString('hex')}_`;
const env = benchEnv({ DATABASE_URL: process.env.DATABASE_URL!, DATABASE_SCHEMA_PREFIX: prefix });
const stack = await startEmbedded(env, { queryCounters: logs });
const url = `http://127.0.0.1:${stack.port}/graphql`;
const s = await seed(url);
const call = graphqlClient(url, s.token);
await new Promise((r) => setTimeout(r, 500));
empties.clear();
const CREATE = `mutation($i: CreateFlowRunInput!) { createFlowRun(input: $i) { id } }`;
const SET = `mutation($i: SetFlowRunStateInput!) { setFlowRunState(input: $i) { status } }`;
for (let i = 0; i < 10; i++) {
  const id = (await call(CREATE, { i: { deploymentId: s.deploymentId } })).createFlowRun.id;
  for (const type of ['PENDING', 'RUNNING', 'COMPLETED']) await call(SET, { i: { flowRunId: id, state: { type } } });
}
await new Promise((r) => setTimeout(r, 500));
console.log("calls", (globalThis as any).zzCalls, "fallbacks", plainFallbacks.count);
for (const [k, n] of empties) console.log(n, '\n' + k + '\n');
await stack.stop();
await dropSchemas(prefix);
process.exit(0);

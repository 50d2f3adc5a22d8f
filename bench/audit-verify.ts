/**
 * Audit chain benchmark: appends N entries to one account's chain and verifies it, on SQLite
 * (in memory) and, with DATABASE_URL, on PostgreSQL (a scratch schema, dropped afterwards).
 *   npm run bench:audit [-- --entries 10000 --runs 5]
 * Prints entries/s of verification (median of the runs) and of the bulk append.
 */
import { compose } from '../lib/module.js';
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { createOrm, type DatabaseConfig, type Orm } from '../lib/orm.js';
import { OUTBOX_ENTITIES } from '../lib/outbox.js';
import { accessSubgraph } from '../subgraphs/access/src/index.js';
import { appendEntries, verifyChain } from '../subgraphs/access/src/audit/audit-chain.js';
import { ActorType } from '../lib/graphql-enums.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const ENTRIES = Number(flag('entries', '10000'));
const RUNS = Number(flag('runs', '5'));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(label: string, database: DatabaseConfig): Promise<void> {
  const orm: Orm = await createOrm({
    name: 'access',
    entities: [...compose.entities(accessSubgraph), ...OUTBOX_ENTITIES],
    migrations: accessSubgraph.migrations,
    database,
  });
  try {
    const accountId = randomUUID();
    const start = Date.now();
    // A realistic entry: a user with key, IP and user agent, a before/after summary.
    const drafts = Array.from({ length: ENTRIES }, (_, i) => ({
      workspaceId: randomUUID(),
      occurredAt: new Date(start + i),
      eventId: randomUUID(),
      actorType: ActorType.USER,
      actorId: randomUUID(),
      actorApiKeyId: randomUUID(),
      actorIp: '203.0.113.7',
      actorUserAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench',
      requestId: randomUUID(),
      action: 'flow.updated',
      resourceType: 'flow',
      resourceId: randomUUID(),
      summary: { fields: ['name', 'tags'], before: { name: `a-${i}`, tags: ['x'] } },
    }));
    const t0 = performance.now();
    await orm.em.fork().transactional((em) => appendEntries(em, accountId, drafts));
    const appendMs = performance.now() - t0;
    const rates: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      const v = await verifyChain(orm.em.fork(), accountId);
      const ms = performance.now() - t;
      if (!v.ok || v.checked !== ENTRIES)
        throw new Error(`verification failed: ${JSON.stringify(v)}`);
      rates.push(ENTRIES / (ms / 1000));
    }
    console.log(
      `| ${label} | ${ENTRIES} | ${Math.round(median(rates))} | ${Math.round(ENTRIES / (median(rates) / 1000))} | ${Math.round(ENTRIES / (appendMs / 1000))} |`,
    );
  } finally {
    if (database.kind === 'postgresql')
      await orm.em.getConnection().execute(`drop schema if exists "${database.schema}" cascade`);
    await orm.close(true);
  }
}

console.log(
  '| database | entries | verify entries/s (median) | verify ms | bulk append entries/s |',
);
console.log('|---|---:|---:|---:|---:|');
await measure('SQLite (memory)', { kind: 'sqlite', path: ':memory:' });
if (process.env.DATABASE_URL) {
  await measure('PostgreSQL', {
    kind: 'postgresql',
    url: process.env.DATABASE_URL,
    schema: `bench_audit_${randomBytes(4).toString('hex')}`,
  });
} else console.log('(PostgreSQL skipped: DATABASE_URL is not set)');

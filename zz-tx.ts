import 'reflect-metadata';
import { createOrm } from './lib/orm.js';
import { OUTBOX_ENTITIES } from './lib/outbox.js';
import { boundQuery, plainTransaction } from './lib/plain-sql.js';
const orm = await createOrm({ name: 'zz', entities: [...OUTBOX_ENTITIES], migrations: { sqlite: [], postgresql: [] } as any, database: { kind: 'postgresql', url: process.env.DATABASE_URL!, schema: 'zz_tx' } });
const N = 8000;
async function viaOrm() { await orm.em.fork({ loggerContext: { label: 'x' } }).transactional(async (em) => { await boundQuery(em as any, 'select 1 as x', [], 'all'); }); }
async function viaPlain() { await plainTransaction(orm.em.fork({ loggerContext: { label: 'x' } }) as any, async (em) => { await boundQuery(em as any, 'select 1 as x', [], 'all'); }); }
async function viaEm() { await boundQuery(orm.em.fork() as any, 'select 1 as x', [], 'all'); }
for (const [name, fn] of [['orm tx', viaOrm], ['plain tx', viaPlain], ['no tx', viaEm], ['orm tx', viaOrm], ['plain tx', viaPlain], ['no tx', viaEm]] as const) {
  for (let i = 0; i < 300; i++) await fn();
  const c0 = process.cpuUsage(); const t0 = performance.now();
  await Promise.all(Array.from({ length: 4 }, async () => { for (let i = 0; i < N / 4; i++) await fn(); }));
  const c = process.cpuUsage(c0); const t = performance.now() - t0;
  console.log(name, ((c.user + c.system) / 1000 / N * 1000).toFixed(1), 'µs CPU each;', (N / t * 1000).toFixed(0), '/s');
}
try { await plainTransaction(orm.em.fork() as any, async (em) => { await em.getConnection().execute('select 1', [], 'all', em.getTransactionContext()); }); } catch (e) { console.log('misuse:', String(e)); }
try { await plainTransaction(orm.em.fork() as any, async (em) => { await em.transactional(async () => 1); }); console.log('nested ok?'); } catch (e) { console.log('nested:', String(e)); }
await orm.close(true);

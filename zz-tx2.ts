import 'reflect-metadata';
import { createOrm } from './lib/orm.js';
import { OUTBOX_ENTITIES } from './lib/outbox.js';
import { boundQuery } from './lib/plain-sql.js';
const orm = await createOrm({ name: 'zz', entities: [...OUTBOX_ENTITIES], migrations: { sqlite: [], postgresql: [] } as any, database: { kind: 'postgresql', url: process.env.DATABASE_URL!, schema: 'zz_tx' } });
async function viaOrm() { await orm.em.fork({ loggerContext: { label: 'x' } }).transactional(async (em) => { await boundQuery(em as any, 'select 1 as x', [], 'all'); }); }
for (let i = 0; i < 500; i++) await viaOrm();
const c0 = process.cpuUsage();
await Promise.all(Array.from({ length: 4 }, async () => { for (let i = 0; i < 15000; i++) await viaOrm(); }));
const c = process.cpuUsage(c0); console.log(((c.user + c.system) / 60000).toFixed(1), 'µs');
await orm.close(true);

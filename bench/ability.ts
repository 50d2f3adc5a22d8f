/**
 * Micro-benchmark: what authorisation costs a subgraph per request. Each subgraph builds a CASL
 * ability from the grants in the internal token (`defineAbilityFor`), checks one action
 * (`authorize`) and turns the ability into a SQL filter for a list (`accessibleFilter`).
 * Measured for an account Owner with 1, 10 and 100 workspaces (Owner holds every permission in
 * each, so the rules grow with the workspaces). `npm run bench:ability`
 */
import { randomUUID } from 'node:crypto';
import { accessibleFilter, authorize, defineAbilityFor } from '../lib/ability.js';
import { computeGrants } from '../lib/grants.js';
import type { Grants, Principal } from '../lib/principal.js';

const DURATION_MS = Number(process.env.BENCH_MS ?? 2000);

function ownerGrants(workspaces: number): { principal: Principal; grants: Grants; ws: string } {
  const accountId = randomUUID();
  const ids = Array.from({ length: workspaces }, () => randomUUID());
  const grants = computeGrants([
    { accountId, role: 'OWNER', workspaces: ids.map((id) => ({ id, defaultRole: 'VIEWER' })) },
  ]);
  return { principal: { type: 'user', id: randomUUID() }, grants, ws: ids[ids.length - 1]! };
}

/** Runs `fn` repeatedly for DURATION_MS (after a warm-up) and returns operations per second. */
function opsPerSecond(fn: () => void): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < DURATION_MS) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
    now = performance.now();
  }
  return (n / (now - start)) * 1000;
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const rows: string[] = [];
for (const size of [1, 10, 100]) {
  const { principal, grants, ws } = ownerGrants(size);
  const rules = defineAbilityFor(principal, grants).rules.length;
  const define = opsPerSecond(() => defineAbilityFor(principal, grants));
  const ability = defineAbilityFor(principal, grants);
  const ctx = { ability, grants, principal };
  const check = opsPerSecond(() => authorize(ctx, 'update', 'Flow', { workspaceId: ws }));
  const filter = opsPerSecond(() => accessibleFilter(ability, 'read', 'Flow'));
  // What one request does: build the ability once, check once, filter one list.
  const request = opsPerSecond(() => {
    const a = defineAbilityFor(principal, grants);
    authorize({ ability: a, grants, principal }, 'update', 'Flow', { workspaceId: ws });
    accessibleFilter(a, 'read', 'Flow');
  });
  rows.push(
    `| ${size} | ${rules} | ${fmt(define)} | ${fmt(check)} | ${fmt(filter)} | ${fmt(request)} | ${(1000 / request).toFixed(3)} |`,
  );
}
console.log(`Node ${process.version}, ${DURATION_MS} ms per measurement, ops/s\n`);
console.log(
  '| workspaces | rules | defineAbilityFor | authorize | accessibleFilter | all three | ms per request |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(r);

/**
 * lib/orm `quietForks`: a request's fork of the entity manager no longer re-derives MikroORM's
 * whole configuration (twice per fork), and nothing else changes: the global entity manager
 * still refuses context-specific work, other settings still go through MikroORM's own `set`.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Orm } from '../../lib/orm.js';
import { startStack, type Stack } from '../harness/stack.js';
import { Flow } from '../../subgraphs/operations/src/flows/flow.entity.js';

let stack: Stack;
let orm: Orm;
beforeAll(async () => {
  stack = await startStack();
  orm = stack.running.subgraphs.operations!.orm;
});
afterAll(async () => {
  await stack?.stop();
});

describe("forks of a subgraph's entity manager", () => {
  it('fork without re-deriving the configuration, and leave the global context refused', async () => {
    const sync = vi.spyOn(orm.config as unknown as { sync(): void }, 'sync');
    try {
      const fork = orm.em.fork();
      expect(await fork.count(Flow, {})).toBeGreaterThanOrEqual(0);
      expect(sync).not.toHaveBeenCalled();
      expect(orm.config.get('allowGlobalContext')).toBe(false);
      await expect(orm.em.count(Flow, {})).rejects.toThrow(/global EntityManager/);
      // Any other setting is still MikroORM's own `set`.
      orm.config.set('debug', orm.config.get('debug'));
      expect(sync).toHaveBeenCalledTimes(1);
    } finally {
      sync.mockRestore();
    }
  });
});

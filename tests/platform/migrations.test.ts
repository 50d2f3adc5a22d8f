import { describe, expect, it } from 'vitest';
import { SUBGRAPH_NAMES } from '../../gateway/src/transport.js';
import { pendingSchemaChanges } from '../../scripts/migrations.js';
import { requireService } from '../harness/services.js';

describe('committed migrations match the entities', () => {
  it.each(SUBGRAPH_NAMES)('%s on SQLite', async (name) => {
    expect(await pendingSchemaChanges(name, 'sqlite')).toBe('');
  });

  it.each(SUBGRAPH_NAMES)('%s on PostgreSQL', async (name) => {
    if (!requireService('DATABASE_URL')) return;
    expect(await pendingSchemaChanges(name, 'postgresql')).toBe('');
  });
});

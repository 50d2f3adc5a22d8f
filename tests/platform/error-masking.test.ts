import { GraphQLError } from 'graphql';
import { afterEach, expect, it, vi } from 'vitest';
import { formatError } from '../../lib/errors.js';

// Test files share a worker (isolate: false): the setting must not outlive this file.
afterEach(() => {
  vi.unstubAllEnvs();
});

it('masks unexpected errors that Apollo labelled INTERNAL_SERVER_ERROR (no SQL reaches clients)', () => {
  vi.stubEnv('FLOWPLANE_LOG_ERRORS', 'false');
  const leaked = new GraphQLError('select * from secret - no such column', {
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
  const out = formatError(leaked.toJSON(), leaked);
  expect(out.message).toBe('Internal server error');
  expect(JSON.stringify(out)).not.toContain('select');
  const known = new GraphQLError('Flow not found', { extensions: { code: 'NOT_FOUND' } });
  expect(formatError(known.toJSON(), known).message).toBe('Flow not found');
});

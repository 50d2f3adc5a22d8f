import { route } from '../route.js';
import { PREFECT_API_VERSION } from '../prefect/version.js';

/** The self-hosted server's housekeeping routes the client calls before anything else. */
export const serverRoutes = [
  route('GET', '/health', {
    summary: 'Health check',
    tags: ['Root'],
    result: () => true,
  }),
  route('GET', '/hello', {
    summary: 'Say hello',
    tags: ['Root'],
    result: () => 'Hello, Flowplane!',
  }),
  route('GET', '/admin/version', {
    summary: 'The Prefect server version this API speaks (clients compare major versions)',
    tags: ['Admin'],
    result: () => PREFECT_API_VERSION,
  }),
  route('GET', '/admin/storage', {
    summary: 'The server’s default result storage: none (results stay where the client keeps them)',
    tags: ['Admin'],
    result: () => ({ default_result_storage_block_id: null }),
  }),
  route('GET', '/csrf-token', {
    summary: 'CSRF tokens are not needed: every request carries a bearer key',
    tags: ['Root'],
    status: 422,
    result: () => ({ detail: 'CSRF protection is disabled.' }),
  }),
];

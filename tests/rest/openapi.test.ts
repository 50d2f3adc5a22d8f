import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../rest/routes/index.js';
import { requirePython } from '../harness/services.js';
import { startStack, type Stack } from '../harness/stack.js';

// /api/openapi.json is generated from the route table: every route is in it, and a real
// OpenAPI validator (openapi-spec-validator, requirements/openapi.txt) accepts it.
const bin = requirePython();
let stack: Stack;
let doc: any;

beforeAll(async () => {
  stack = await startStack();
  const res = await fetch(stack.url.replace(/\/graphql$/, '/api/openapi.json'));
  expect(res.status).toBe(200);
  doc = await res.json();
});

afterAll(async () => {
  await stack?.stop();
});

describe('/api/openapi.json', () => {
  it('describes every route of the table, with its body schema and Prefect’s error bodies', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const r of routes) {
      const prefix =
        r.scope === 'workspace' ? '/api/accounts/{account_id}/workspaces/{workspace_id}' : '/api';
      const op = doc.paths[`${prefix}${r.path}`]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      expect(op.summary).toBe(r.summary);
      if (r.body) expect(op.requestBody.content['application/json'].schema).toBeTypeOf('object');
      if (r.operation)
        expect(op.responses['422'].content['application/json'].schema.$ref).toBe(
          '#/components/schemas/HTTPValidationError',
        );
    }
    const setState =
      doc.paths['/api/accounts/{account_id}/workspaces/{workspace_id}/flow_runs/{id}/set_state']
        .post;
    expect(
      setState.requestBody.content['application/json'].schema.properties.state.properties.type.enum,
    ).toContain('COMPLETED');
    expect(
      new Set(
        Object.values(doc.paths).flatMap((p: any) =>
          Object.values(p).map((o: any) => o.operationId),
        ),
      ).size,
    ).toBe(Object.values(doc.paths).reduce((n: number, p: any) => n + Object.keys(p).length, 0));
  });

  it.skipIf(!bin)('is valid OpenAPI 3.1 for openapi-spec-validator', () => {
    const out = spawnSync(`${bin}/openapi-spec-validator`, ['-'], {
      input: JSON.stringify(doc),
      encoding: 'utf8',
    });
    expect(out.stdout + out.stderr).toContain('OK');
    expect(out.status).toBe(0);
  });
});

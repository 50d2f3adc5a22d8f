import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, requireChromium, type Browser } from '../harness/browser.js';
import { createWorkspace } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { createFlow, ok } from '../operations/fixtures.js';

// The REST layer's interactive docs at /api/docs (Swagger UI bundled into ui/dist): served with
// the pages' CSP, nothing loaded from anywhere else, and "Try it out" calls the real routes.
const hasChromium = requireChromium();
// The browser reaches the stack under a name that is not localhost, as a remote user would
// (Swagger UI treats localhost specially in places).
const HOST = 'docs.flowplane.test';
const FILTER = '/api/accounts/{account_id}/workspaces/{workspace_id}/flows/filter';

let stack: Stack;
let owner: Actor;
let origin: string;

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
  origin = stack.url.replace(/\/graphql$/, '');
});
afterAll(async () => stack?.stop());

describe('/api/docs over HTTP', () => {
  it('is a page of this server with the pages’ CSP, loading only /ui/assets/', async () => {
    const res = await fetch(`${origin}/api/docs`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('<title>Flowplane REST API docs</title>');
    expect(html).not.toMatch(/<script>|unpkg|jsdelivr|cdn\./i);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const a of assets) {
      expect(a.startsWith('/ui/assets/'), a).toBe(true);
      expect((await fetch(`${origin}${a}`)).status, a).toBe(200);
    }
  });

  it('answers /docs (a Prefect server’s docs path) with a redirect to /api/docs', async () => {
    for (const p of ['/docs', '/docs/']) {
      const res = await fetch(`${origin}${p}`, { redirect: 'manual' });
      expect(res.status, p).toBe(307);
      expect(res.headers.get('location')).toBe('/api/docs');
    }
    // Only the page itself: the REST layer still answers everything else under /api/.
    expect((await fetch(`${origin}/api/docs/nothing`)).status).toBe(404);
  });
});

/** POST …/flows/filter with `{}` through Swagger UI's "Try it out": the status and body shown. */
async function tryFilter(page: Page, workspaceId: string) {
  const op = page.locator('.opblock', { has: page.locator(`[data-path="${FILTER}"]`) });
  if (!(await op.locator('.opblock-body').isVisible()))
    await op.locator('.opblock-summary').first().click();
  const tryOut = op.getByRole('button', { name: 'Try it out' });
  if (await tryOut.isVisible()) await tryOut.click();
  await op.locator('input[placeholder="account_id"]').fill(owner.accountId);
  await op.locator('input[placeholder="workspace_id"]').fill(workspaceId);
  await op.locator('textarea.body-param__text').fill('{}');
  await op.getByRole('button', { name: 'Execute' }).click();
  const row = op.locator('.live-responses-table tr.response').first();
  await row.waitFor();
  const status = (await row.locator('.response-col_status').textContent())!.trim();
  const body = (await row.locator('.response-col_description').textContent())!;
  await op.getByRole('button', { name: 'Clear' }).click();
  await row.waitFor({ state: 'detached' });
  return { status, body };
}

describe.skipIf(!hasChromium)('/api/docs in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium([`--host-resolver-rules=MAP ${HOST} 127.0.0.1`]);
  });
  afterAll(async () => browser?.close());

  it('renders the REST operations offline, and "Try it out" with a key calls the real route', async () => {
    const ws = await createWorkspace(owner, owner.accountId, { name: 'Docs' });
    const flow = await createFlow(owner, ws.id, 'nightly-etl');
    const { key } = (
      await ok(owner, `mutation { createApiKey(input: { name: "docs" }) { key } }`, {})
    ).createApiKey;

    const base = `http://${HOST}:${new URL(origin).port}`;
    const page = await browser.context.newPage();
    const external: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(`${base}/`)) external.push(r.url());
    });
    page.on('response', (r) => {
      // The 401 of the first try is expected, and Chromium's own /favicon.ico (no page has one).
      const path = new URL(r.url()).pathname;
      if (r.status() >= 400 && !(r.status() === 401 && path.endsWith('/flows/filter')))
        if (path !== '/favicon.ico') problems.push(`${r.status()} ${path}`);
    });
    page.on('console', (m) => {
      // A CSP refusal or a script error shows here; failed loads are checked above.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
        problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${base}/docs`);
    expect(page.url()).toBe(`${base}/api/docs`);

    // The operations of the generated document, grouped by tag.
    const op = page.locator('.opblock', { has: page.locator(`[data-path="${FILTER}"]`) });
    await op.waitFor();
    await expect(page.locator('.opblock').count()).resolves.toBeGreaterThan(20);
    await page.locator('.opblock-tag', { hasText: 'Flows' }).first().waitFor();

    const execute = () => tryFilter(page, ws.id);

    // Without a key the route refuses, as it does for any client.
    const refused = await execute();
    expect(refused.status).toBe('401');

    // "Authorize" with the key as the bearer token, then the same call answers 200 with the flow.
    await page.locator('.auth-wrapper button.authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.locator('input').fill(key);
    await dialog.getByRole('button', { name: 'Apply credentials' }).click();
    await dialog.getByRole('button', { name: 'Remove authorization' }).waitFor();
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    const answered = await execute();
    expect(answered.status).toBe('200');
    expect(answered.body).toContain(flow.id);
    expect(answered.body).toContain('nightly-etl');

    expect(external).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('uses the key this tab already gave the dashboard, so "Try it out" works at once', async () => {
    const ws = await createWorkspace(owner, owner.accountId, { name: 'Docs 2' });
    const flow = await createFlow(owner, ws.id, 'hourly-sync');
    const { key } = (
      await ok(owner, `mutation { createApiKey(input: { name: "docs-2" }) { key } }`, {})
    ).createApiKey;
    const page = await browser.context.newPage();
    await page.goto(`${origin}/ui`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.goto(`${origin}/api/docs`);
    await page.locator('.auth-wrapper button.authorize.locked').waitFor();
    const answered = await tryFilter(page, ws.id);
    expect(answered.status).toBe('200');
    expect(answered.body).toContain(flow.id);
    await page.close();
  });
});

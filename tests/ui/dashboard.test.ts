import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, requireChromium, type Browser } from '../harness/browser.js';
import { createWorkspace } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { createFlow, createRun, ok, setState } from '../operations/fixtures.js';
import { failingRun, setSummaries, writeSummaries } from '../error-summaries/helpers.js';

const hasChromium = requireChromium();
// `FLOWPLANE_SCREENSHOT=docs npx vitest run tests/ui` refreshes the README's picture.
const SCREENSHOT =
  process.env.FLOWPLANE_SCREENSHOT === 'docs'
    ? fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url))
    : join(tmpdir(), `fp-dashboard-${process.pid}.png`);

let stack: Stack;
let owner: Actor;
let browser: Browser;
let base: string;
let ws: { id: string };

beforeAll(async () => {
  if (!hasChromium) return;
  stack = await startStack();
  owner = await stack.signUp();
  ws = await createWorkspace(owner, owner.accountId, { name: 'Production' });
  base = stack.url.replace('/graphql', '');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe.skipIf(!hasChromium)('the live dashboard in Chromium', () => {
  it('shows runs and incidents live, and signs out when the key is revoked', async () => {
    const created = await ok(
      owner,
      `mutation { createApiKey(input: { name: "dashboard" }) { key apiKey { id } } }`,
      {},
    );
    const { key, apiKey } = created.createApiKey;
    const flow = await createFlow(owner, ws.id, 'etl');
    const early = await createRun(owner, { flowId: flow.id, name: 'nightly-import' });
    await setState(owner, early.id, { type: 'PENDING' });

    const page = await browser.context.newPage();
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith(base.replace('http', 'ws')))
        external.push(r.url());
    });
    await page.goto(`${base}/ui`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Use key' }).click();

    // The run that existed before is listed; both subscriptions are acknowledged.
    await page.locator(`[data-testid="run-${early.id}"][data-state="PENDING"]`).waitFor();
    await page.locator('[data-testid="flow-runs"] [data-status="live"]').waitFor();
    await page.locator('[data-testid="incidents"] [data-status="live"]').waitFor();

    // The product promise: a run created through the API is on screen within a second.
    const run = await createRun(owner, { flowId: flow.id, name: 'hourly-sync' });
    await page.locator(`[data-testid="run-${run.id}"]`).waitFor({ timeout: 1000 });
    await setState(owner, run.id, { type: 'PENDING' });
    await setState(owner, run.id, { type: 'RUNNING' });
    await page
      .locator(`[data-testid="run-${run.id}"][data-state="RUNNING"]`)
      .waitFor({ timeout: 1000 });
    expect(await page.getAttribute('[data-testid="state-count-RUNNING"]', 'data-count')).toBe('1');

    const incident = await ok(
      owner,
      `mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { id } }`,
      { input: { workspaceId: ws.id, name: 'Warehouse unreachable', severity: 'HIGH' } },
    );
    await page
      .locator(`[data-testid="incident-${incident.declareIncident.id}"]`)
      .waitFor({ timeout: 1000 });

    await page.screenshot({ path: SCREENSHOT });

    // Revoking the key closes the sockets with 4403: the page signs out.
    await ok(owner, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: apiKey.id });
    await page.getByTestId('signed-out-reason').waitFor();
    expect(await page.getByTestId('signed-out-reason').textContent()).toContain('revoked');
    expect(
      await page.evaluate(() => (globalThis as any).sessionStorage.getItem('flowplane.credential')),
    ).toBeNull();
    expect(external).toEqual([]);
  });

  it('a dropped connection comes back and resumes with `since`: a run changed meanwhile is not lost', async () => {
    const { createApiKey } = await ok(
      owner,
      `mutation { createApiKey(input: { name: "resume" }) { key } }`,
      {},
    );
    const page = await browser.context.newPage();
    // Keep a handle on the page's sockets and the messages it sends.
    await page.addInitScript(() => {
      const w = globalThis as any;
      w.__sockets = [];
      w.__sent = [];
      const Native = w.WebSocket;
      w.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          w.__sockets.push(this);
        }
        send(data: any) {
          w.__sent.push(String(data));
          super.send(data);
        }
      };
    });
    await page.goto(`${base}/ui`);
    await page.getByLabel('API key').fill(createApiKey.key);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.locator('[data-testid="flow-runs"] [data-status="live"]').waitFor();
    const flow = await createFlow(owner, ws.id, 'resume');
    const first = await createRun(owner, { flowId: flow.id, name: 'before-drop' });
    await setState(owner, first.id, { type: 'PENDING' });
    await page.locator(`[data-testid="run-${first.id}"][data-state="PENDING"]`).waitFor();

    await page.evaluate(() => (globalThis as any).__sockets.forEach((s: any) => s.close()));
    await page.locator('[data-testid="flow-runs"] [data-status="reconnecting"]').waitFor();
    // While the page is away: the run moves on.
    await setState(owner, first.id, { type: 'RUNNING' });
    await page.locator('[data-testid="flow-runs"] [data-status="live"]').waitFor();
    await page.locator(`[data-testid="run-${first.id}"][data-state="RUNNING"]`).waitFor();
    const resumed = (await page.evaluate(() => (globalThis as any).__sent as string[]))
      .map((m) => JSON.parse(m))
      .filter((m) => m.type === 'subscribe' && m.payload.query.includes('flowRunEvents'));
    expect(resumed.length).toBe(2);
    expect(resumed[0].payload.variables.since).toBeNull();
    expect(resumed[1].payload.variables.since).toEqual(expect.any(String));
    await page.close();
  });

  it('failure groups appear and count up live as failed runs get their summaries', async () => {
    await setSummaries(stack, owner, true);
    const { createApiKey } = await ok(
      owner,
      `mutation { createApiKey(input: { name: "groups" }) { key } }`,
      {},
    );
    const page = await browser.context.newPage();
    await page.goto(`${base}/ui`);
    await page.getByLabel('API key').fill(createApiKey.key);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.locator('[data-testid="failure-groups"] [data-status="live"]').waitFor();
    const flow = await createFlow(owner, ws.id, 'groups');
    const fail = (id: number) =>
      failingRun(owner, ws.id, {
        flowId: flow.id,
        final: 'FAILED',
        message: `Flow run encountered an exception: KeyError: 'customer_${id}'`,
        lines: [
          [
            'Encountered exception during execution:',
            'Traceback (most recent call last):',
            '  File "/opt/flows/billing.py", line 31, in invoice',
            `    row = customers[${id}]`,
            `KeyError: 'customer_${id}'`,
          ].join('\n'),
        ],
      });
    await fail(17);
    await writeSummaries(stack);
    const group = page.locator('[data-testid="failure-groups"] li[data-count]');
    await group.first().waitFor();
    expect(await group.count()).toBe(1);
    expect(await group.first().getAttribute('data-count')).toBe('1');
    expect(await group.first().textContent()).toContain('KeyError');
    // The same cause with another id joins the group, live.
    await fail(4242);
    await writeSummaries(stack);
    await page
      .locator('[data-testid="failure-groups"] li[data-count="2"]')
      .waitFor({ timeout: 5000 });
    expect(await group.count()).toBe(1);
    await page.close();
  });

  it('the explorer runs a query with a pasted key, loading nothing from elsewhere', async () => {
    const created = await ok(
      owner,
      `mutation { createApiKey(input: { name: "explorer" }) { key } }`,
      {},
    );
    const page = await browser.context.newPage();
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('data:')) external.push(r.url());
    });
    await page.goto(`${base}/graphql`);
    await page.getByLabel('API key or session token').fill(created.createApiKey.key);
    await page.getByRole('button', { name: 'Use', exact: true }).click();
    await page.locator('.graphiql-query-editor .CodeMirror').first().waitFor();
    await page.evaluate(() => {
      const cm = (
        (globalThis as any).document.querySelector('.graphiql-query-editor .CodeMirror') as any
      ).CodeMirror;
      cm.setValue('{ me { user { handle } } }');
    });
    await page.locator('.graphiql-execute-button').click();
    await page.locator('.graphiql-response').getByText(owner.handle).waitFor({ timeout: 10_000 });
    expect(external).toEqual([]);
  });
});

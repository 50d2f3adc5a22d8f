import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePython } from '../harness/services.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { ok } from '../operations/fixtures.js';
import { prefectTarget, runCli, runFlows, type PrefectTarget } from './prefect.js';

// The two ways a real Prefect client reaches Flowplane besides PREFECT_API_URL + PREFECT_API_KEY
// in Cloud mode: `prefect cloud login`, and a self-hosted-mode client with an auth string.
const bin = requirePython();

let stack: Stack;
let owner: Actor;
let target: PrefectTarget;
let home: string;

beforeAll(async () => {
  if (!bin) return;
  stack = await startStack();
  owner = await stack.signUp();
  target = await prefectTarget(stack, owner);
  home = mkdtempSync(join(tmpdir(), 'flowplane-prefect-'));
});

afterAll(async () => {
  await stack?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

const TASKS = `query($id: ID!) { flowRun(id: $id) { stateType taskRuns(first: 5) { edges { node { stateType } } } } }`;

describe.skipIf(!bin)('connecting a Prefect client', { timeout: 240_000 }, () => {
  it('`prefect cloud login --key … --workspace account/workspace` selects the workspace, and flows then run', async () => {
    const handles = await ok(
      owner,
      `query($id: ID!) { workspace(id: $id) { handle account { handle } } }`,
      { id: target.workspaceId },
    );
    const { PREFECT_API_URL: _url, PREFECT_API_KEY: _key, ...env } = target.env;
    const profileEnv = { ...env, PREFECT_HOME: home };
    const login = await runCli(
      bin!,
      'prefect',
      [
        'cloud',
        'login',
        '--key',
        target.key,
        '--workspace',
        `${handles.workspace.account.handle}/${handles.workspace.handle}`,
      ],
      profileEnv,
    );
    expect(login.code, login.output).toBe(0);
    const view = await runCli(bin!, 'prefect', ['config', 'view'], profileEnv);
    expect(view.output).toContain(`PREFECT_API_URL='${target.apiUrl}' (from profile)`);

    const run = await runFlows(bin!, ['hello', 'from-login'], profileEnv);
    expect(run.result, run.stderr).toMatchObject({ type: 'COMPLETED', result: 'FROM-LOGIN' });
    const d = await ok(owner, TASKS, { id: run.result.flow_run_id });
    expect(d.flowRun.taskRuns.edges.map((e: any) => e.node.stateType)).toEqual(['COMPLETED']);
  });

  it('a wrong key is refused by `prefect cloud login`', async () => {
    const { PREFECT_API_URL: _url, PREFECT_API_KEY: _key, ...env } = target.env;
    const login = await runCli(
      bin!,
      'prefect',
      ['cloud', 'login', '--key', 'fpu_not-a-key', '--workspace', 'a/b'],
      { ...env, PREFECT_HOME: home },
    );
    expect(login.code).not.toBe(0);
    expect(login.output).toMatch(/invalid|unable|401/i);
  });

  it('a self-hosted-mode client (PREFECT_API_AUTH_STRING carrying the key) runs flows and reports task runs over the events socket', async () => {
    const { PREFECT_CLOUD_API_URL: _cloud, PREFECT_API_KEY: _key, ...env } = target.env;
    const run = await runFlows(bin!, ['hello', 'server-mode'], {
      ...env,
      PREFECT_API_AUTH_STRING: `flowplane:${target.key}`,
    });
    expect(run.result, run.stderr).toMatchObject({ type: 'COMPLETED', result: 'SERVER-MODE' });
    const d = await ok(owner, TASKS, { id: run.result.flow_run_id });
    expect(d.flowRun.taskRuns.edges.map((e: any) => e.node.stateType)).toEqual(['COMPLETED']);
  });
});

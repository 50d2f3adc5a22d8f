import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createWorkspace } from '../harness/seed.js';
import type { Actor, Stack } from '../harness/stack.js';

export const FLOWS = fileURLToPath(new URL('./flows/scenario_flows.py', import.meta.url));

/** A workspace and an API key of `owner`, and the Prefect settings that point a client at it. */
export interface PrefectTarget {
  accountId: string;
  workspaceId: string;
  key: string;
  /** PREFECT_API_URL: Prefect Cloud's workspace URL shape. */
  apiUrl: string;
  /** The environment of a Prefect process in Cloud mode (PREFECT_CLOUD_API_URL = Flowplane's /api). */
  env: Record<string, string>;
}

export async function prefectTarget(stack: Stack, owner: Actor): Promise<PrefectTarget> {
  const ws = await createWorkspace(owner, owner.accountId);
  const key = await owner.gql(`mutation { createApiKey(input: { name: "prefect" }) { key } }`);
  const base = stack.url.replace(/\/graphql$/, '');
  const apiUrl = `${base}/api/accounts/${owner.accountId}/workspaces/${ws.id}`;
  return {
    accountId: owner.accountId,
    workspaceId: ws.id,
    key: key.data.createApiKey.key,
    apiUrl,
    env: prefectEnv(apiUrl, key.data.createApiKey.key, `${base}/api`),
  };
}

/** The settings of a Prefect process; nothing from the developer's own Prefect profile leaks in. */
export function prefectEnv(
  apiUrl: string,
  key: string,
  cloudApiUrl: string,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    PREFECT_HOME: `/tmp/flowplane-prefect-${process.pid}`,
    PREFECT_API_URL: apiUrl,
    PREFECT_API_KEY: key,
    PREFECT_CLOUD_API_URL: cloudApiUrl,
    PREFECT_SERVER_ALLOW_EPHEMERAL_MODE: 'false',
    PREFECT_LOGGING_LEVEL: 'INFO',
    PYTHONUNBUFFERED: '1',
  };
}

export interface PythonRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The JSON after the last `RESULT ` line. */
  result: any;
}

/** Runs `scenario_flows.py <args>` with the venv's Python and resolves when it exits. */
export function runFlows(
  bin: string,
  args: string[],
  env: Record<string, string>,
): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    const child = startFlows(bin, args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('RESULT '));
      resolve({ code, stdout, stderr, result: line ? JSON.parse(line.slice(7)) : null });
    });
  });
}

export function startFlows(bin: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(`${bin}/python`, [FLOWS, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a command of the venv (`prefect …`) without blocking the stack in this process. */
export function runCli(
  bin: string,
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(`${bin}/${command}`, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (c) => (output += c));
    child.stderr!.on('data', (c) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

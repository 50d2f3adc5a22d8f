import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePython } from '../harness/services.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { prefectTarget, runFlows, type PrefectTarget } from '../prefect/prefect.js';
import { setSummaries, summaryOf, writeSummaries } from './helpers.js';

// The real Prefect 3 client (requirements/prefect.txt) runs a flow whose task imports a module
// that is not installed; the summary of the FAILED run names it.
const bin = requirePython();

let stack: Stack;
let owner: Actor;
let target: PrefectTarget;

beforeAll(async () => {
  if (!bin) return;
  stack = await startStack();
  owner = await stack.signUp();
  target = await prefectTarget(stack, owner);
  await stack.quiesce();
  await setSummaries(stack, owner, true);
});
afterAll(() => stack?.stop());

describe.skipIf(!bin)('error summary of a real Prefect flow run', { timeout: 240_000 }, () => {
  it('a flow failing on a missing import gets a summary naming the module and the task', async () => {
    const run = await runFlows(bin!, ['missing_import'], target.env);
    expect(run.result, run.stderr).toMatchObject({ type: 'FAILED' });
    await writeSummaries(stack);
    const s = await summaryOf(owner, run.result.flow_run_id);
    expect(s, 'no summary was written').not.toBeNull();
    expect(s.fixKind).toBe('MISSING_MODULE');
    expect(s.fixHint).toContain('"flowplane_missing_module"');
    expect(s.rootCause).toMatchObject({
      exceptionType: 'ModuleNotFoundError',
      message: "No module named 'flowplane_missing_module'",
      function: 'load_rows',
    });
    expect(s.rootCause.file).toMatch(/scenario_flows\.py$/);
    expect(s.rootCause.taskName).toMatch(/^load_rows/);
    expect(s.evidence.some((e: { source: string }) => e.source === 'LOG')).toBe(true);
  });
});

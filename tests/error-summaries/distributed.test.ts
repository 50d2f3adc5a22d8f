import { afterAll, describe, expect, it } from 'vitest';
import { startTwoOperations, type TwoInstances } from '../harness/two-instances.js';
import {
  ErrorSummary,
  SummaryAccount,
  SummaryWorkspace,
} from '../../subgraphs/operations/src/error-summaries/error-summary.entity.js';
import { ERROR_SUMMARY_CREATED } from '../../subgraphs/operations/src/error-summaries/summary-writer.service.js';
import { eventually } from '../harness/seed.js';
import { requireService, testDatabase } from '../harness/services.js';
import { CORPUS } from '../fixtures/error-summaries/corpus.js';
import { storedEvents } from '../operations/automation-fixtures.js';
import { failingRun, setSummaries, workspaceOf } from './helpers.js';

function distributed(): boolean {
  const redis = requireService('REDIS_URL');
  return redis && testDatabase() === 'postgres';
}

const RUNS = 12;

describe.runIf(distributed())('two operations instances write each summary once', () => {
  let two: TwoInstances | undefined;
  afterAll(() => two?.stop());

  it('on PostgreSQL and Redis, each failure gets one summary and one event', async () => {
    two = await startTwoOperations();
    const { stack, first, second } = two;
    const alice = await stack.signUp();
    const ws = await workspaceOf(stack, alice);
    await setSummaries(stack, alice, true);
    // The setting and the workspace's account reach operations through Redis.
    await eventually(async () => {
      const em = first.orm.em.fork();
      expect(await em.count(SummaryAccount, { accountId: alice.accountId, enabled: true })).toBe(1);
      expect(await em.count(SummaryWorkspace, { workspaceId: ws })).toBe(1);
    }, 10_000);
    const lines = CORPUS[0]!.input.logs.map((l) => ({ message: l.message, level: l.level }));
    const states: string[] = [];
    for (let i = 0; i < RUNS; i++)
      states.push((await failingRun(alice, ws, { lines, final: 'FAILED', message: null })).stateId);
    const rows = () => first.orm.em.fork().find(ErrorSummary, { stateId: { $in: states } });
    await eventually(async () => {
      for (const s of [first, second]) await s.relay.flush();
      expect(await rows()).toHaveLength(RUNS);
    }, 20_000);
    const writers = [first, second].map((s) =>
      s.services.find((x) => x.name === 'error-summaries')!,
    );
    let written = 0;
    for (let i = 0; i < 3; i++)
      written += (await Promise.all(writers.map((w) => w.runOnce()))).reduce((a, b) => a + b, 0);
    expect(written).toBe(RUNS);
    const done = await rows();
    expect(done.map((r) => r.status)).toEqual(Array(RUNS).fill('READY'));
    expect(done.every((r) => r.attempts === 1)).toBe(true);
    await eventually(async () => {
      for (const s of [first, second]) await s.relay.flush();
      expect(await storedEvents(stack, ws, [ERROR_SUMMARY_CREATED])).toHaveLength(RUNS);
    });
  });
});

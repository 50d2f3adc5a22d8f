import { describe, expect, it } from 'vitest';
import {
  normaliseMessage,
  summarize,
} from '../../subgraphs/operations/src/error-summaries/summarizer.js';
import { parseTracebacks } from '../../subgraphs/operations/src/error-summaries/traceback.js';
import { CORPUS } from '../fixtures/error-summaries/corpus.js';

describe('built-in summarizer: the failure corpus', () => {
  it('holds at least 30 cases', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(30);
  });

  for (const c of CORPUS) {
    it(c.name, () => {
      const s = summarize(c.input);
      const r = s.rootCause;
      expect(r.exceptionType).toBe(c.expect.exceptionType);
      if (c.expect.message !== undefined) expect(r.message).toContain(c.expect.message);
      if (c.expect.file !== undefined) expect(r.file).toBe(c.expect.file);
      if (c.expect.line !== undefined) expect(r.line).toBe(c.expect.line);
      if (c.expect.function !== undefined) expect(r.function).toBe(c.expect.function);
      if (c.expect.taskName !== undefined) expect(r.taskName).toBe(c.expect.taskName);
      if (c.expect.exitCode !== undefined) expect(r.exitCode).toBe(c.expect.exitCode);
      if (c.expect.chain !== undefined) expect(r.chain).toEqual(c.expect.chain);
      expect(s.fixKind).toBe(c.expect.fixKind);
      if (c.expect.fixKind) expect(s.fixHint).toBeTruthy();
      else expect(s.fixHint).toBeNull();
      if (c.expect.hint) expect(s.fixHint).toContain(c.expect.hint);
      // The paragraph names what it found, and cites its evidence.
      expect(s.explanation).toContain(c.input.flowRunName);
      if (r.exceptionType) expect(s.explanation).toContain(r.exceptionType);
      if (r.exitCode !== null) expect(s.explanation).toContain(String(r.exitCode));
      if (c.input.logs.length || c.input.stateMessage) expect(s.evidence.length).toBeGreaterThan(0);
      expect(s.signature).toMatch(/^[0-9a-f]{32}$/);
    });
  }

  it('is deterministic', () => {
    for (const c of CORPUS) expect(summarize(c.input)).toEqual(summarize(c.input));
  });
});

describe('traceback parser', () => {
  it('keeps the blocks of one chain together and separates unrelated tracebacks', () => {
    const text = `Traceback (most recent call last):
  File "/a.py", line 1, in f
    x()
KeyError: 'a'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/a.py", line 3, in f
    y()
NameError: name 'y' is not defined
Some other line
Traceback (most recent call last):
  File "/b.py", line 9, in g
    z()
ValueError: z`;
    const chains = parseTracebacks(text);
    expect(chains.map((c) => c.map((b) => [b.exceptionType, b.link]))).toEqual([
      [
        ['KeyError', 'FIRST'],
        ['NameError', 'DURING_HANDLING'],
      ],
      [['ValueError', 'FIRST']],
    ]);
  });
});

describe('failure signatures', () => {
  const run = (id: string, line: number, amount: number, when: string) =>
    summarize({
      flowRunName: `run-${id}`,
      stateType: 'FAILED',
      stateName: 'Failed',
      stateMessage: null,
      taskRuns: [],
      logs: [
        {
          seq: '1',
          level: 40,
          taskRunId: null,
          message: `Encountered exception during execution:
Traceback (most recent call last):
  File "/opt/flows/billing.py", line ${line}, in charge
    pay(order)
ValueError: order ${id} of ${amount} EUR failed at ${when} (see /tmp/run-${id}/trace.json)`,
        },
      ],
    });

  it('merges failures that differ only in ids, numbers, paths, timestamps and the line', () => {
    const a = run('6f1c2a3b-0000-4000-8000-000000000001', 40, 12.5, '2026-12-01T10:00:00Z');
    const b = run('0a9b8c7d-1111-4111-8111-111111111112', 42, 900, '2026-12-03 08:15:02');
    expect(a.signature).toBe(b.signature);
  });

  it('separates different causes', () => {
    const base = run('x', 40, 1, '2026-12-01T10:00:00Z');
    const other = summarize({
      flowRunName: 'r',
      stateType: 'FAILED',
      stateName: 'Failed',
      stateMessage:
        "Flow run encountered an exception: ModuleNotFoundError: No module named 'pandas'",
      taskRuns: [],
      logs: [],
    });
    const otherModule = summarize({
      flowRunName: 'r',
      stateType: 'FAILED',
      stateName: 'Failed',
      stateMessage:
        "Flow run encountered an exception: ModuleNotFoundError: No module named 'numpy'",
      taskRuns: [],
      logs: [],
    });
    expect(new Set([base.signature, other.signature, otherModule.signature]).size).toBe(3);
    const oom = summarize(CORPUS.find((c) => c.expect.exitCode === 137)!.input);
    const term = summarize(CORPUS.find((c) => c.expect.exitCode === 143)!.input);
    expect(oom.signature).not.toBe(term.signature);
  });

  it('normalises what varies', () => {
    expect(
      normaliseMessage(
        'run 6f1c2a3b-0000-4000-8000-000000000001 at 2026-12-01T10:00:00Z read /var/x/y.csv 42 times (0xdeadbeef)',
      ),
    ).toBe('run <id> at <time> read <path> <n> times (<hex>)');
    // Ids ending an identifier vary too; digits inside a word are part of its name.
    expect(normaliseMessage("KeyError: 'customer_4242' row-7 via s3 as utf8")).toBe(
      "KeyError: 'customer_<n>' row-<n> via s3 as utf8",
    );
  });
});

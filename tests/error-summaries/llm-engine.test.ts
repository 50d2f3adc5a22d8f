import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redact } from '../../subgraphs/operations/src/error-summaries/redact.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { ok } from '../operations/fixtures.js';
import { failingRun, setSummaries, summaryOf, workspaceOf, writeSummaries } from './helpers.js';

/**
 * The hosted model cannot be reached here: a local server speaks the chat-completions API,
 * records what it received, and answers (or hangs, to exercise the timeout).
 */
interface Received {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}
let mode: 'answer' | 'hang' | 'error' = 'answer';
const received: Received[] = [];
const hanging: http.ServerResponse[] = [];
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push({
      url: req.url!,
      headers: req.headers,
      body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
    });
    if (mode === 'hang') return void hanging.push(res);
    if (mode === 'error') {
      res.writeHead(500, { 'content-type': 'application/json' });
      return void res.end('{"error":{"message":"overloaded"}}');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        model: 'summarizer-1',
        choices: [
          {
            index: 0,
            finish_reason: 'stop',
            message: {
              role: 'assistant',
              content:
                'The flow failed because the warehouse database refused the connection. Check that it runs.',
            },
          },
        ],
      }),
    );
  });
});

const API_KEY = `sk-test-${uid(12)}`;
const BLOCK_SECRET = `pw-${uid(10)}`;
const PREFECT_KEY = `pnu_${uid(18)}`;
const EMAIL = 'ana.owner@example.com';

let stack: Stack;
let alice: Actor;
let ws: string;

const log = (extra: string) => `Encountered exception during execution:
Traceback (most recent call last):
  File "/flows/warehouse.py", line 10, in connect
    engine = create_engine(URL)
sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at "warehouse" failed: Connection refused
${extra}`;

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  stack = await startStack({
    env: {
      ERROR_SUMMARY_LLM_URL: `http://127.0.0.1:${port}/v1`,
      ERROR_SUMMARY_LLM_MODEL: 'summarizer-1',
      ERROR_SUMMARY_LLM_API_KEY: API_KEY,
      ERROR_SUMMARY_LLM_TIMEOUT_MS: '300',
      ERROR_SUMMARY_LLM_DAILY_BUDGET: '3',
    },
  });
  alice = await stack.signUp();
  ws = await workspaceOf(stack, alice);
  await setSummaries(stack, alice, true);
  // A block with a secret field: its value must never reach the model.
  const type = await ok(
    alice,
    `mutation($input: CreateBlockTypeInput!) { createBlockType(input: $input) { id } }`,
    { input: { workspaceId: ws, slug: 'warehouse', name: 'Warehouse' } },
  );
  const schema = await ok(
    alice,
    `mutation($input: CreateBlockSchemaInput!) { createBlockSchema(input: $input) { id } }`,
    {
      input: {
        blockTypeId: type.createBlockType.id,
        version: '1',
        fields: {
          type: 'object',
          properties: { host: { type: 'string' }, password: { type: 'string', secret: true } },
        },
      },
    },
  );
  await ok(
    alice,
    `mutation($input: CreateBlockDocumentInput!) { createBlockDocument(input: $input) { id } }`,
    {
      input: {
        workspaceId: ws,
        blockSchemaId: schema.createBlockSchema.id,
        name: 'dw',
        data: { host: 'warehouse', password: BLOCK_SECRET },
      },
    },
  );
});
afterAll(async () => {
  for (const r of hanging) r.destroy();
  await stack?.stop();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('the language-model engine (OpenAI-compatible endpoint)', () => {
  it('sends a redacted prompt and stores the answer as an LLM summary', async () => {
    mode = 'answer';
    const { runId } = await failingRun(alice, ws, {
      lines: [
        log(
          `url=postgresql://etl:${BLOCK_SECRET}@warehouse:5432/dw key=${PREFECT_KEY} owner ${EMAIL}\nAuthorization: Bearer abcdefghijklmnop1234`,
        ),
      ],
      final: 'FAILED',
      message: `Flow run encountered an exception: OperationalError (password ${BLOCK_SECRET})`,
    });
    await writeSummaries(stack);
    expect(received).toHaveLength(1);
    const [call] = received;
    expect(call!.url).toBe('/v1/chat/completions');
    expect(call!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(call!.body.model).toBe('summarizer-1');
    expect(call!.body.messages.map((m: any) => m.role)).toEqual(['system', 'user']);
    const sent = JSON.stringify(call!.body);
    expect(sent).toContain('sqlalchemy.exc.OperationalError');
    expect(sent).toContain('/flows/warehouse.py, line 10, in connect');
    for (const secret of [BLOCK_SECRET, PREFECT_KEY, EMAIL, 'abcdefghijklmnop1234', API_KEY])
      expect(sent).not.toContain(secret);
    expect(sent).toContain('[REDACTED]');

    const s = await summaryOf(alice, runId);
    expect(s.engine).toBe('LLM');
    expect(s.explanation).toContain('warehouse database refused the connection');
    // Root cause and hint stay the built-in analysis.
    expect(s.rootCause).toMatchObject({ function: 'connect', line: 10 });
    expect(s.fixKind).toBe('CONNECTION_REFUSED');
  });

  it('falls back to the built-in summary on a timeout and on an error answer', async () => {
    mode = 'hang';
    const slow = await failingRun(alice, ws, { lines: [log('')], final: 'FAILED', message: null });
    await writeSummaries(stack);
    expect(received).toHaveLength(2);
    const s1 = await summaryOf(alice, slow.runId);
    expect(s1.engine).toBe('BUILT_IN');
    expect(s1.explanation).toContain('sqlalchemy.exc.OperationalError');

    mode = 'error';
    const failing = await failingRun(alice, ws, {
      lines: [log('')],
      final: 'FAILED',
      message: null,
    });
    await writeSummaries(stack);
    expect(received).toHaveLength(3);
    expect((await summaryOf(alice, failing.runId)).engine).toBe('BUILT_IN');
  });

  it('stops calling the model once the account spent its daily budget', async () => {
    mode = 'answer';
    const { runId } = await failingRun(alice, ws, {
      lines: [log('')],
      final: 'FAILED',
      message: null,
    });
    await writeSummaries(stack);
    // Budget 3: the three calls above spent it.
    expect(received).toHaveLength(3);
    expect((await summaryOf(alice, runId)).engine).toBe('BUILT_IN');
  });
});

describe('redaction', () => {
  it('removes secret values, key and token shapes, URL passwords and emails', () => {
    const out = redact(
      'pw=hunter2-long token: ghp_abcdefghijklmnopqrstuvwxyz0123 AKIAABCDEFGHIJKLMNOP https://u:p4ssw0rd@h/x bob@corp.io eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmno my-block-secret-value',
      ['my-block-secret-value'],
    );
    for (const s of [
      'hunter2-long',
      'ghp_abcdefghijklmnopqrstuvwxyz0123',
      'AKIAABCDEFGHIJKLMNOP',
      'p4ssw0rd',
      'bob@corp.io',
      'eyJhbGciOiJIUzI1NiJ9',
      'my-block-secret-value',
    ])
      expect(out).not.toContain(s);
    expect(out).toContain('https://u:[REDACTED]@h/x');
  });
});

/**
 * The outbox's housekeeping (lib/outbox-housekeeping.ts): published rows are kept a day, handled
 * marks a week, then deleted in batches; unpublished rows are never touched, and a mark still
 * kept makes a redelivered event a no-op.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackgroundService } from '../../lib/background.js';
import { HOUSEKEEPING_BATCH } from '../../lib/outbox-housekeeping.js';
import { HandledEvent, OutboxEvent } from '../../lib/outbox.js';
import { startStack, type Stack } from '../harness/stack.js';

const HOUR = 3600 * 1000;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const sub = (name: 'users' | 'workspaces' | 'access' | 'operations') =>
  stack.running.subgraphs[name]!;
const housekeeping = (name: 'users' | 'workspaces' | 'access' | 'operations'): BackgroundService =>
  sub(name).services.find((s) => s.name === 'outbox-housekeeping')!;

describe('outbox housekeeping', () => {
  it('deletes published rows after a day and handled marks after a week, in batches, never what is unpublished', async () => {
    // Sign-up: users publishes user.signed-up, which workspaces and access consume.
    const alice = await stack.signUp();
    expect(alice.accountId).toBeTruthy();
    await stack.quiesce();
    const users = sub('users').orm.em;
    const workspaces = sub('workspaces').orm.em;
    const sent = () => users.fork().count(OutboxEvent, { sentAt: { $ne: null } });
    const marks = () => workspaces.fork().count(HandledEvent, {});
    const publishedBefore = await sent();
    expect(publishedBefore).toBeGreaterThan(0);
    const marksBefore = await marks();
    expect(marksBefore).toBeGreaterThan(0);

    // An unpublished row, old: only the relay may remove it (by publishing it), never this.
    const pending = new OutboxEvent();
    Object.assign(pending, {
      type: 'test.pending',
      payload: {},
      occurredAt: new Date(Date.now() - 30 * 24 * HOUR),
    });
    // Old marks of another consumer: more than one batch.
    const old = new Date(Date.now() - 10 * 24 * HOUR);
    const rows = Array.from({ length: HOUSEKEEPING_BATCH + 7 }, () => ({
      consumer: 'test.old',
      eventId: randomUUID(),
      handledAt: old,
    }));
    for (let i = 0; i < rows.length; i += 1000)
      await workspaces.fork().insertMany(HandledEvent, rows.slice(i, i + 1000));
    expect(await marks()).toBe(marksBefore + rows.length);

    const now = Date.now();
    // Nothing is old enough yet but the inserted marks.
    expect(await housekeeping('workspaces').runOnce(new Date(now))).toBe(rows.length);
    expect(await marks()).toBe(marksBefore);
    expect(await housekeeping('users').runOnce(new Date(now))).toBe(0);
    expect(await sent()).toBe(publishedBefore);

    // A day later the published rows go; the marks stay a week.
    expect(await housekeeping('users').runOnce(new Date(now + 25 * HOUR))).toBeGreaterThanOrEqual(
      publishedBefore,
    );
    expect(await sent()).toBe(0);
    await housekeeping('workspaces').runOnce(new Date(now + 25 * HOUR));
    expect(await marks()).toBe(marksBefore);
    // With the relay stopped (a process that has not published yet), an old unpublished row
    // stays whatever its age.
    const em = users.fork();
    em.persist(pending);
    await sub('users').relay.stop();
    await em.flush();
    await housekeeping('users').runOnce(new Date(now + 40 * 24 * HOUR));
    expect(await users.fork().count(OutboxEvent, { id: pending.id, sentAt: null })).toBe(1);

    // A week later the marks go too.
    expect(
      await housekeeping('workspaces').runOnce(new Date(now + 8 * 24 * HOUR)),
    ).toBeGreaterThanOrEqual(marksBefore);
    expect(await marks()).toBe(0);
  });
});

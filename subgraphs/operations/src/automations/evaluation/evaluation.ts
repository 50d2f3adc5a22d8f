/**
 * Trigger evaluation (REFERENCE §6) over bucket rows, inside one transaction: the consumer's
 * for an event, or the proactive service's for expired windows. Buckets are read under a row
 * lock (PostgreSQL), leaves in path order before their parents, and every firing's actions run
 * only once all bucket work of the transaction is done.
 *
 * Semantics, per bucket (one trigger, one forEach key):
 * - An event matching `after` opens (or restarts) the window at its `occurred` time and is not
 *   counted. An expected event counts when it occurred before the open window's end; without
 *   `after`, a REACTIVE trigger's first expected event opens the window (and counts).
 * - REACTIVE fires when the count reaches `threshold`; the window then closes (the next event
 *   opens a new one). PROACTIVE fires when its window ends with fewer (proactive.service.ts);
 *   without `after` its next window opens then, with `after` it waits for the next one.
 * - A fired bucket resolves on a `resolveOn` event of the same key; a PROACTIVE one also on an
 *   expected event. Resolution travels up to the root like firing does.
 * - Compound: fires when ALL / ANY / AT_LEAST n sub-triggers fired within `withinSeconds` of
 *   each other; sequence: when they fired in order, the last within `withinSeconds` of the
 *   first. A composite resolves when one of its sub-triggers resolves after it fired.
 */
import { forUpdate, isUuid } from '../../../../../lib/db.js';
import type { Em } from '../../../../../lib/orm.js';
import type { SubgraphRuntime } from '../../../../../lib/module.js';
import type { OperationsContext } from '../../context.js';
import { emitEvent, type EventJson } from '../../event-store/emit.js';
import {
  automationResource,
  RESOLVED,
  TRIGGERED,
  triggeringRelated,
} from '../actions/action-events.js';
import type { Firing, StoredAction } from '../actions/action.types.js';
import { runActions } from '../actions/run-actions.js';
import { bucketValues, nameMatches, triggerSees } from '../triggers/matching.js';
import { childIndex, ROOT_PATH, type EventTriggerSpec } from '../triggers/trigger.schema.js';
import type { CompiledAutomation } from './automation-cache.js';
import { AutomationBucket, bucketKeyOf, type BucketState } from './bucket.entity.js';

/** Automations reacting to automations' events stop after this many firings in a chain. */
export const MAX_CHAIN_DEPTH = 3;

/** How many automation firings led to an event (0 for anything but automation events). */
export function depthOf(event: EventJson | null): number {
  if (!event || !event.resource.id.startsWith('flowplane.automation.')) return 0;
  const d = Number(event.payload?.depth ?? 0);
  return (Number.isInteger(d) && d >= 0 ? d : 0) + 1;
}

type Signal = 'fired' | 'resolved';

/** One transaction's evaluation work: bucket updates now, actions at the end. */
export class Evaluation {
  private readonly pending: { a: CompiledAutomation; firing: Firing; actions: StoredAction[] }[] =
    [];

  constructor(
    private readonly sub: SubgraphRuntime<OperationsContext>,
    private readonly em: Em,
    readonly now: Date,
  ) {}

  /** Buckets this transaction holds (locked), by automation, path and key. */
  private readonly held = new Map<string, AutomationBucket>();

  /** Registers a bucket the caller loaded locked (the proactive service's due windows). */
  adopt(b: AutomationBucket): void {
    this.held.set(`${b.automationId} ${b.triggerPath} ${b.bucketKey}`, b);
  }

  /** The bucket of (automation, trigger, key), locked; created first when `create`. */
  async bucket(
    a: CompiledAutomation,
    path: string,
    values: string[],
    create: { posture: string | null } | null,
  ): Promise<AutomationBucket | null> {
    const key = bucketKeyOf(values);
    const id = `${a.id} ${path} ${key}`;
    const held = this.held.get(id);
    if (held) return held;
    const where = { automationId: a.id, triggerPath: path, bucketKey: key };
    const lock = { ...forUpdate(this.em), refresh: true };
    let found = await this.em.findOne(AutomationBucket, where, lock);
    if (!found && create) {
      // Another transaction may create it at the same moment: insert-or-ignore, then lock it.
      await this.em
        .createQueryBuilder(AutomationBucket)
        .insert({
          ...where,
          id: new AutomationBucket().id,
          workspaceId: a.workspaceId,
          posture: create.posture,
          count: 0,
          state: { values },
          updatedAt: this.now,
        })
        .onConflict(['automationId', 'triggerPath', 'bucketKey'])
        .ignore()
        .execute();
      found = await this.em.findOne(AutomationBucket, where, lock);
    }
    if (found) this.held.set(id, found);
    return found;
  }

  /** Applies one event to an automation's event triggers (and what their firings cause). */
  async applyEvent(a: CompiledAutomation, event: EventJson): Promise<void> {
    const hits = a.leaves.flatMap((leaf) => {
      const t = leaf.spec;
      if (!triggerSees(t, event)) return [];
      const isAfter = t.after.length > 0 && nameMatches(t.after, event.event);
      const isExpect = !isAfter && (t.expect.length ? nameMatches(t.expect, event.event) : true);
      const isResolve = t.resolveOn.length > 0 && nameMatches(t.resolveOn, event.event);
      return isAfter || isExpect || isResolve
        ? [{ leaf, isAfter, isExpect, isResolve, values: bucketValues(t, event) }]
        : [];
    });
    const signals: { path: string; signal: Signal; values: string[] }[] = [];
    // All leaf buckets first (in path order), then their parents: a stable lock order.
    for (const hit of hits) {
      const t = hit.leaf.spec;
      const opens =
        t.posture === 'REACTIVE' ? hit.isAfter || (hit.isExpect && !t.after.length) : hit.isAfter;
      const b = await this.bucket(
        a,
        hit.leaf.path,
        hit.values,
        opens ? { posture: t.posture } : null,
      );
      if (!b) continue;
      for (const signal of this.applyToLeaf(t, b, event, hit))
        signals.push({ path: hit.leaf.path, signal, values: hit.values });
    }
    for (const s of signals)
      await this.signal(a, s.path, s.signal, s.values, event, new Date(event.occurred));
  }

  private applyToLeaf(
    t: EventTriggerSpec,
    b: AutomationBucket,
    event: EventJson,
    hit: { isAfter: boolean; isExpect: boolean; isResolve: boolean },
  ): Signal[] {
    const out: Signal[] = [];
    const at = Date.parse(event.occurred);
    const state: BucketState = { ...b.state };
    if (
      b.firedAt &&
      !b.resolvedAt &&
      (hit.isResolve || (t.posture === 'PROACTIVE' && hit.isExpect))
    ) {
      b.resolvedAt = this.now;
      out.push('resolved');
    }
    const open = (start: number, count: number) => {
      b.windowStart = new Date(start);
      b.windowEnd = new Date(start + t.withinSeconds * 1000);
      b.count = count;
    };
    const close = () => {
      b.windowStart = null;
      b.windowEnd = null;
      b.count = 0;
    };
    const inWindow = b.windowEnd != null && at < b.windowEnd.getTime();
    if (hit.isAfter) {
      open(at, 0);
      state.lastEvent = event;
    } else if (hit.isExpect && t.posture === 'REACTIVE') {
      if (inWindow) b.count += 1;
      else if (!t.after.length) open(at, 1);
      if (inWindow || !t.after.length) {
        state.lastEvent = event;
        if (b.count >= t.threshold) {
          b.firedAt = this.now;
          b.resolvedAt = null;
          close();
          out.push('fired');
        }
      }
    } else if (hit.isExpect && inWindow) {
      // PROACTIVE: enough expected events satisfy the window; with `after` it closes early.
      b.count += 1;
      if (b.count >= t.threshold && t.after.length) close();
    }
    b.state = state;
    return out;
  }

  /**
   * A trigger fired or resolved: the root announces it and queues its actions; a sub-trigger
   * updates its parent's bucket of the same key.
   */
  async signal(
    a: CompiledAutomation,
    path: string,
    signal: Signal,
    values: string[],
    event: EventJson | null,
    at: Date,
  ): Promise<void> {
    const node = a.nodes.get(path)!;
    if (!node.parent) return this.root(a, signal, values, event);
    const parent = a.nodes.get(node.parent)!;
    if (parent.spec.kind === 'event') return;
    const b = await this.bucket(
      a,
      parent.path,
      values,
      signal === 'fired' ? { posture: null } : null,
    );
    if (!b) return;
    const spec = parent.spec;
    const state: BucketState = { ...b.state };
    let next: Signal | null = null;
    if (signal === 'resolved') {
      if (b.firedAt && !b.resolvedAt) {
        b.resolvedAt = this.now;
        next = 'resolved';
      }
    } else if (spec.kind === 'compound') {
      const horizon = at.getTime() - spec.withinSeconds * 1000;
      const fired = Object.fromEntries(
        Object.entries(state.fired ?? {}).filter(([, iso]) => Date.parse(iso) >= horizon),
      );
      fired[String(childIndex(path))] = at.toISOString();
      const n = Object.keys(fired).length;
      const needed =
        spec.require === 'ALL' ? spec.triggers.length : spec.require === 'ANY' ? 1 : spec.atLeast!;
      if (n >= needed) {
        state.fired = {};
        next = 'fired';
      } else state.fired = fired;
    } else {
      const i = childIndex(path);
      let step = state.step ?? 0;
      const started = state.startedAt ? Date.parse(state.startedAt) : null;
      if (step > 0 && started != null && at.getTime() - started > spec.withinSeconds * 1000)
        step = 0;
      if (i === step) {
        if (step === 0) state.startedAt = at.toISOString();
        step += 1;
      } else if (i === 0) {
        step = 1;
        state.startedAt = at.toISOString();
      }
      if (step >= spec.triggers.length) {
        step = 0;
        state.startedAt = null;
        next = 'fired';
      }
      state.step = step;
    }
    if (event) state.lastEvent = event;
    if (next === 'fired') {
      b.firedAt = this.now;
      b.resolvedAt = null;
    }
    b.state = state;
    if (next) await this.signal(a, parent.path, next, values, event ?? state.lastEvent ?? null, at);
  }

  /** The root fired or resolved: its lifecycle event now, its actions once the buckets are done. */
  private async root(
    a: CompiledAutomation,
    signal: Signal,
    values: string[],
    event: EventJson | null,
  ): Promise<void> {
    const b = await this.bucket(a, ROOT_PATH, values, null);
    const depth = depthOf(event);
    const emitted = emitEvent(this.em, {
      workspaceId: a.workspaceId,
      event: signal === 'fired' ? TRIGGERED : RESOLVED,
      resource: automationResource(a),
      related: triggeringRelated(event),
      follows:
        signal === 'resolved' && isUuid(b?.state.triggeredEventId)
          ? b!.state.triggeredEventId
          : null,
      payload: {
        automationId: a.id,
        key: values,
        triggeringEventId: event?.id ?? null,
        triggeringEvent: event?.event ?? null,
        depth,
      },
    });
    if (b && signal === 'fired') b.state = { ...b.state, triggeredEventId: emitted.id };
    const firing: Firing = {
      kind: signal === 'fired' ? 'triggered' : 'resolved',
      eventId: emitted.id,
      event,
      depth,
    };
    const actions = signal === 'fired' ? [...a.actions, ...a.actionsOnTrigger] : a.actionsOnResolve;
    this.pending.push({ a, firing, actions });
  }

  /** Runs the queued actions (after every bucket of the transaction was updated). */
  async runPendingActions(): Promise<number> {
    const firings = this.pending.splice(0);
    for (const f of firings)
      await runActions(this.sub, this.em, f.a, f.actions, f.firing, this.now);
    await this.em.flush();
    return firings.length;
  }
}

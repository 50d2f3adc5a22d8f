/**
 * Trigger matching and validation without a stack: glob patterns, event-name prefixes, labels,
 * related resources, forEach buckets, the trigger tree walk and the field named by each refusal.
 */
import { describe, expect, it } from 'vitest';
import type { EventJson } from '../../subgraphs/operations/src/event-store/emit.js';
import {
  bucketValues,
  globMatches,
  labelOf,
  nameMatches,
  resourceMatches,
  triggerSees,
} from '../../subgraphs/operations/src/automations/triggers/matching.js';
import {
  childIndex,
  walkTriggers,
  type EventTriggerSpec,
  type TriggerSpec,
} from '../../subgraphs/operations/src/automations/triggers/trigger.schema.js';
import type { TriggerInput } from '../../subgraphs/operations/src/automations/triggers/trigger.inputs.js';
import {
  forEachOf,
  MAX_EVENT_TRIGGERS,
  validateTrigger,
} from '../../subgraphs/operations/src/automations/triggers/trigger.validation.js';
import {
  CompoundRequirement,
  TriggerPosture,
} from '../../subgraphs/operations/src/automations/triggers/trigger.types.js';

function event(
  resource: { id: string; labels?: Record<string, string> },
  related: { id: string; role: string; labels?: Record<string, string> }[] = [],
  name = 'prefect.flow-run.Completed',
): EventJson {
  return {
    id: 'e1',
    workspaceId: 'w',
    occurred: '2026-01-01T00:00:00.000Z',
    received: '2026-01-01T00:00:00.000Z',
    event: name,
    resource: { labels: {}, ...resource },
    related: related.map((r) => ({ labels: {}, ...r })),
    payload: {},
    follows: null,
  } as EventJson;
}

const trigger = (input: TriggerInput['event']) =>
  validateTrigger({ event: input } as TriggerInput) as EventTriggerSpec;

/** The `extensions.field` of the BAD_USER_INPUT error `f` throws. */
function refusedField(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    const ext = (e as { extensions?: { code?: string; field?: string } }).extensions;
    expect(ext?.code).toBe('BAD_USER_INPUT');
    return ext!.field!;
  }
  throw new Error('accepted');
}
const refused = (input: object) => refusedField(() => validateTrigger(input as TriggerInput));

describe('globMatches', () => {
  it('matches literally without a star', () => {
    expect(globMatches('prefect.flow-run.abc', 'prefect.flow-run.abc')).toBe(true);
    expect(globMatches('prefect.flow-run.abc', 'prefect.flow-run.abcd')).toBe(false);
  });

  it('a star matches any run of characters, including none and dots', () => {
    expect(globMatches('prefect.flow-run.*', 'prefect.flow-run.')).toBe(true);
    expect(globMatches('prefect.flow-run.*', 'prefect.flow-run.a.b.c')).toBe(true);
    expect(globMatches('prefect.flow-run.*', 'prefect.task-run.a')).toBe(false);
    expect(globMatches('*.flow-run.*', 'flowplane.flow-run.1')).toBe(true);
    expect(globMatches('a*b*c', 'a-x-b-y-c')).toBe(true);
    expect(globMatches('a*b*c', 'a-x-c-y-b')).toBe(false);
    expect(globMatches('*', '')).toBe(true);
    expect(globMatches('*', 'line\nbreak')).toBe(true);
  });

  it('anchors both ends', () => {
    expect(globMatches('flow-run.*', 'prefect.flow-run.1')).toBe(false);
    expect(globMatches('*.1', 'prefect.flow-run.12')).toBe(false);
  });

  it('treats regular-expression characters as literals', () => {
    expect(globMatches('prefect.flow-run.*', 'prefectXflow-run.1')).toBe(false);
    expect(globMatches('a+b*', 'aab')).toBe(false);
    expect(globMatches('a+b*', 'a+bc')).toBe(true);
    expect(globMatches('(x|y)*', 'x')).toBe(false);
    expect(globMatches('(x|y)*', '(x|y)z')).toBe(true);
    expect(globMatches('[ab]*', 'a')).toBe(false);
    expect(globMatches('^$\\?*', '^$\\?!')).toBe(true);
  });
});

describe('nameMatches (event names)', () => {
  it('a trailing star is a prefix, otherwise the name is exact', () => {
    const names = ['prefect.flow-run.*', 'flowplane.automation.triggered'];
    expect(nameMatches(names, 'prefect.flow-run.Completed')).toBe(true);
    expect(nameMatches(names, 'prefect.flow-run.')).toBe(true);
    expect(nameMatches(names, 'prefect.flow-runs.x')).toBe(false);
    expect(nameMatches(names, 'prefect.task-run.Completed')).toBe(false);
    expect(nameMatches(names, 'flowplane.automation.triggered')).toBe(true);
    expect(nameMatches(names, 'flowplane.automation.triggered.x')).toBe(false);
    expect(nameMatches([], 'anything')).toBe(false);
    expect(nameMatches(['*'], 'anything')).toBe(true);
  });
});

describe('resource and related matching', () => {
  const run = {
    id: 'prefect.flow-run.1',
    labels: { env: 'prod-eu', 'prefect.resource.name': 'etl' },
  };

  it('empty ids and labels match any resource', () => {
    expect(resourceMatches(run, { ids: [], labels: [] })).toBe(true);
  });

  it('ids are alternatives; labels must all hold, each with one of its patterns', () => {
    expect(
      resourceMatches(run, { ids: ['prefect.task-run.*', 'prefect.flow-run.*'], labels: [] }),
    ).toBe(true);
    expect(resourceMatches(run, { ids: ['prefect.task-run.*'], labels: [] })).toBe(false);
    const labels = (values: string[]) => [
      { name: 'env', values },
      { name: 'prefect.resource.name', values: ['etl'] },
    ];
    expect(resourceMatches(run, { ids: [], labels: labels(['dev', 'prod-*']) })).toBe(true);
    expect(resourceMatches(run, { ids: [], labels: labels(['dev', 'prod']) })).toBe(false);
    // A label the resource lacks fails even against `*`.
    expect(resourceMatches(run, { ids: [], labels: [{ name: 'team', values: ['*'] }] })).toBe(
      false,
    );
  });

  it('flowplane.resource.id and .role are the id and role themselves', () => {
    expect(labelOf({ id: 'x', role: 'flow', labels: {} }, 'flowplane.resource.id')).toBe('x');
    expect(labelOf({ id: 'x', role: 'flow', labels: {} }, 'flowplane.resource.role')).toBe('flow');
    expect(labelOf({ id: 'x', labels: { a: '1' } }, 'a')).toBe('1');
    expect(
      resourceMatches(run, {
        ids: [],
        labels: [{ name: 'flowplane.resource.id', values: ['*.1'] }],
      }),
    ).toBe(true);
  });

  it('a label name that is an Object.prototype property is not a label the resource has', () => {
    // Labels come from JSON objects: `constructor`, `toString`, … must not be found on them.
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(labelOf({ id: 'x', labels: {} }, name), name).toBeUndefined();
      expect(resourceMatches(run, { ids: [], labels: [{ name, values: ['*'] }] }), name).toBe(
        false,
      );
    }
  });

  it('each related spec needs one related resource matching role, ids and labels together', () => {
    const t = trigger({
      match: { ids: ['prefect.flow-run.*'] },
      matchRelated: [
        { role: 'flow', ids: ['prefect.flow.*'] },
        {
          role: 'tag',
          labels: [{ name: 'flowplane.resource.id', values: ['prefect.tag.nightly'] }],
        },
      ],
    });
    const flow = { id: 'prefect.flow.9', role: 'flow' };
    const tag = { id: 'prefect.tag.nightly', role: 'tag' };
    expect(triggerSees(t, event({ id: 'prefect.flow-run.1' }, [flow, tag]))).toBe(true);
    expect(triggerSees(t, event({ id: 'prefect.flow-run.1' }, [flow]))).toBe(false);
    // The right id under the wrong role does not count.
    expect(
      triggerSees(t, event({ id: 'prefect.flow-run.1' }, [{ ...flow, role: 'deployment' }, tag])),
    ).toBe(false);
    // The resource itself must match too.
    expect(triggerSees(t, event({ id: 'prefect.task-run.1' }, [flow, tag]))).toBe(false);
    // A related spec without a role matches any role.
    const anyRole = trigger({ matchRelated: [{ ids: ['prefect.flow.9'] }] });
    expect(triggerSees(anyRole, event({ id: 'r' }, [{ ...flow, role: 'whatever' }]))).toBe(true);
    expect(triggerSees(anyRole, event({ id: 'r' }))).toBe(false);
  });

  it('forEach buckets are the labels on the resource, "" when absent', () => {
    const t = trigger({ forEach: ['flowplane.resource.id', 'env', 'team'], withinSeconds: 60 });
    expect(bucketValues(t, event(run))).toEqual(['prefect.flow-run.1', 'prod-eu', '']);
  });
});

describe('validateTrigger', () => {
  it('fills defaults and deduplicates lists', () => {
    expect(trigger({ expect: ['a', 'a', 'b*'] })).toEqual({
      kind: 'event',
      match: { ids: [], labels: [] },
      matchRelated: [],
      after: [],
      expect: ['a', 'b*'],
      forEach: [],
      posture: 'REACTIVE',
      threshold: 1,
      withinSeconds: 0,
      resolveOn: [],
    });
  });

  it('allows a star only at the end of an event name, naming the item', () => {
    expect(trigger({ expect: ['prefect.flow-run.*'] }).expect).toEqual(['prefect.flow-run.*']);
    expect(refused({ event: { expect: ['ok', 'prefect.*.Completed'] } })).toBe(
      'trigger.event.expect.1',
    );
    expect(refused({ event: { after: ['*x'], withinSeconds: 5 } })).toBe('trigger.event.after.0');
    expect(refused({ event: { resolveOn: ['a**'] } })).toBe('trigger.event.resolveOn.0');
  });

  it('names the field of bad match specs', () => {
    expect(refused({ event: { match: { ids: [''] } } })).toBe('trigger.event.match.ids.0');
    expect(refused({ event: { match: { ids: Array(21).fill('x') } } })).toBe(
      'trigger.event.match.ids',
    );
    expect(refused({ event: { match: { labels: [{ name: 'env', values: [] }] } } })).toBe(
      'trigger.event.match.labels.0.values',
    );
    expect(refused({ event: { match: { labels: [{ name: '', values: ['a'] }] } } })).toBe(
      'trigger.event.match.labels.0.name',
    );
    expect(refused({ event: { matchRelated: [{ ids: ['a'] }, { role: 'r'.repeat(101) }] } })).toBe(
      'trigger.event.matchRelated.1.role',
    );
    expect(refused({ event: { matchRelated: Array(11).fill({}) } })).toBe(
      'trigger.event.matchRelated',
    );
    expect(refused({ event: { forEach: ['a', 'b', 'c', 'd', 'e', 'f'], withinSeconds: 1 } })).toBe(
      'trigger.event.forEach',
    );
  });

  it('checks thresholds and windows against the posture', () => {
    expect(refused({ event: { threshold: 0 } })).toBe('trigger.event.threshold');
    expect(refused({ event: { threshold: 2.5, withinSeconds: 10 } })).toBe(
      'trigger.event.threshold',
    );
    expect(refused({ event: { threshold: 3 } })).toBe('trigger.event.withinSeconds');
    expect(trigger({ threshold: 3, withinSeconds: 1 }).threshold).toBe(3);
    expect(refused({ event: { withinSeconds: -1 } })).toBe('trigger.event.withinSeconds');
    expect(refused({ event: { after: ['a'] } })).toBe('trigger.event.withinSeconds');
    const proactive = { posture: TriggerPosture.PROACTIVE };
    expect(refused({ event: { ...proactive, withinSeconds: 9 } })).toBe(
      'trigger.event.withinSeconds',
    );
    expect(trigger({ ...proactive, withinSeconds: 10 }).posture).toBe('PROACTIVE');
    expect(refused({ event: { ...proactive, withinSeconds: 60, forEach: ['x'] } })).toBe(
      'trigger.event.forEach',
    );
    expect(
      trigger({ ...proactive, withinSeconds: 60, forEach: ['x'], after: ['a'] }).forEach,
    ).toEqual(['x']);
  });

  it('requires exactly one kind and bounds composite triggers', () => {
    expect(refused({})).toBe('trigger');
    expect(refused({ event: {}, sequence: { withinSeconds: 1, triggers: [{ event: {} }] } })).toBe(
      'trigger',
    );
    expect(refused({ sequence: { withinSeconds: 1, triggers: [] } })).toBe(
      'trigger.sequence.triggers',
    );
    const leaf = { event: { expect: ['x'] } };
    const compound = (extra: object) => ({
      compound: {
        require: CompoundRequirement.ALL,
        withinSeconds: 60,
        triggers: [leaf, leaf],
        ...extra,
      },
    });
    expect(refused(compound({ atLeast: 1 }))).toBe('trigger.compound.atLeast');
    expect(refused(compound({ require: CompoundRequirement.AT_LEAST, atLeast: 3 }))).toBe(
      'trigger.compound.atLeast',
    );
    expect(
      validateTrigger(
        compound({ require: CompoundRequirement.AT_LEAST, atLeast: 2 }) as TriggerInput,
      ),
    ).toMatchObject({
      kind: 'compound',
      atLeast: 2,
    });
    // Two levels of composites are allowed; a third is refused, naming where it appears.
    const nested = { sequence: { withinSeconds: 5, triggers: [compound({}), leaf] } };
    expect(validateTrigger(nested as TriggerInput).kind).toBe('sequence');
    expect(refused({ sequence: { withinSeconds: 5, triggers: [nested] } })).toBe(
      'trigger.sequence.triggers.0.sequence.triggers.0.compound',
    );
    // The error inside a sub-trigger names its path.
    expect(
      refused({ sequence: { withinSeconds: 5, triggers: [leaf, { event: { threshold: 0 } }] } }),
    ).toBe('trigger.sequence.triggers.1.event.threshold');
  });

  it('sub-triggers share their forEach labels; the event triggers of a tree are bounded', () => {
    const keyed = (forEach: string[]) => ({ event: { forEach, withinSeconds: 10 } });
    expect(
      refused({ sequence: { withinSeconds: 5, triggers: [keyed(['a']), keyed(['b'])] } }),
    ).toBe('trigger.sequence.triggers.1');
    const spec = validateTrigger({
      sequence: { withinSeconds: 5, triggers: [keyed(['a']), keyed(['a'])] },
    } as TriggerInput);
    expect(forEachOf(spec)).toEqual(['a']);
    const ten = (n: number) => ({
      compound: {
        require: CompoundRequirement.ANY,
        withinSeconds: 5,
        triggers: Array(n).fill({ event: {} }),
      },
    });
    // 3 × 10 = 30 event triggers, over the limit of 25 (each composite alone is fine).
    expect(MAX_EVENT_TRIGGERS).toBe(25);
    expect(refused({ sequence: { withinSeconds: 5, triggers: [ten(10), ten(10), ten(10)] } })).toBe(
      'trigger',
    );
    expect(
      validateTrigger({
        sequence: { withinSeconds: 5, triggers: [ten(10), ten(10), ten(5)] },
      } as TriggerInput).kind,
    ).toBe('sequence');
  });
});

describe('walkTriggers', () => {
  it('lists every trigger with its path, parents before children', () => {
    const spec = validateTrigger({
      sequence: {
        withinSeconds: 5,
        triggers: [
          { event: { expect: ['a'] } },
          {
            compound: {
              require: CompoundRequirement.ALL,
              withinSeconds: 5,
              triggers: [{ event: { expect: ['b'] } }, { event: { expect: ['c'] } }],
            },
          },
        ],
      },
    } as TriggerInput);
    const walked = walkTriggers(spec);
    expect(walked.map((w) => [w.path, w.parent, w.spec.kind])).toEqual([
      ['t', null, 'sequence'],
      ['t.0', 't', 'event'],
      ['t.1', 't', 'compound'],
      ['t.1.0', 't.1', 'event'],
      ['t.1.1', 't.1', 'event'],
    ]);
    expect((walked[4]!.spec as EventTriggerSpec).expect).toEqual(['c']);
    expect(walked.map((w) => (w.parent ? childIndex(w.path) : null))).toEqual([null, 0, 1, 0, 1]);
    const single: TriggerSpec = walked[1]!.spec;
    expect(walkTriggers(single, 'x')).toEqual([{ path: 'x', parent: null, spec: single }]);
    expect(childIndex('t.1.12')).toBe(12);
  });
});

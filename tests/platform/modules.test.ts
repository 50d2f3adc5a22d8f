import { describe, expect, it } from 'vitest';
import {
  compose,
  defineModule,
  defineSubgraph,
  type BaseContext,
  type ModuleDefinition,
  type SubgraphRuntime,
} from '../../lib/module.js';
import type { Orm } from '../../lib/orm.js';
import { MemoryWindowCounter } from '../../lib/window-counter.js';
import { operationsSubgraph } from '../../subgraphs/operations/src/index.js';

class SomeResolver {}

const migrations = { sqlite: [], postgresql: [] } as never;

function subgraph(modules: ModuleDefinition[], layers = ['core', 'reactive']) {
  return defineSubgraph({ name: 'operations', layers, modules, migrations });
}

function runtime(): SubgraphRuntime {
  return {
    name: 'operations',
    orm: {} as Orm,
    opts: { settings: { key: 'k' } },
    counters: new MemoryWindowCounter(),
    publish: async () => undefined,
    contextFor: () => {
      throw new Error('not used here');
    },
  };
}

const base = (requestId: string) =>
  ({ requestId, em: { id: requestId } }) as unknown as BaseContext;

describe('module manifests (lib/module.ts)', () => {
  it('refuses a subgraph whose modules are out of layer order, unknown, named twice or resolve one type twice', () => {
    const core = defineModule({ name: 'a', layer: 'core', resolvers: [SomeResolver] });
    const reactive = defineModule({ name: 'b', layer: 'reactive' });
    expect(() => subgraph([core, reactive])).not.toThrow();
    expect(() => subgraph([reactive, core])).toThrow(
      /module a: listed after a module of a higher layer/,
    );
    expect(() => subgraph([core, defineModule({ name: 'c', layer: 'events' })])).toThrow(
      /layer events is not one of core, reactive/,
    );
    expect(() => subgraph([core, defineModule({ name: 'a', layer: 'core' })])).toThrow(
      /module a: the name is taken/,
    );
    const ref = (name: string) =>
      defineModule({ name, layer: 'core', references: { Flow: () => null } });
    expect(() => subgraph([core, ref('x'), ref('y')])).toThrow(
      /module y: another module resolves Flow/,
    );
    expect(() => subgraph([reactive])).toThrow(/no module has a resolver/);
  });

  it('builds provided members once and loaders per request; a loader name taken twice fails', () => {
    let built = 0;
    const def = subgraph([
      defineModule({
        name: 'a',
        layer: 'core',
        resolvers: [SomeResolver],
        provides: (sub) => ({ box: { n: ++built, key: sub.opts.settings?.key } }),
        loaders: (ctx: BaseContext) => ({ aByRequest: ctx.requestId }),
      }),
      defineModule({
        name: 'b',
        layer: 'reactive',
        // Loaders see what earlier modules contributed to the context being built.
        loaders: (ctx: any) => ({ bSeesA: `${ctx.loaders.aByRequest}+${ctx.box.n}` }),
      }),
    ]);
    const contextFor = compose.context(def, runtime());
    const one: any = contextFor(base('r1'));
    const two: any = contextFor(base('r2'));
    expect(built).toBe(1);
    expect(one.box).toBe(two.box);
    expect(one.box).toEqual({ n: 1, key: 'k' });
    expect(one.requestId).toBe('r1');
    const read = (l: any) => ({ aByRequest: l.aByRequest, bSeesA: l.bSeesA });
    expect(read(one.loaders)).toEqual({ aByRequest: 'r1', bSeesA: 'r1+1' });
    expect(read(two.loaders)).toEqual({ aByRequest: 'r2', bSeesA: 'r2+1' });

    // After the first context, a module's loaders are made when the request first reads one.
    let made = 0;
    const counted = compose.context(
      subgraph([
        defineModule({
          name: 'a',
          layer: 'core',
          resolvers: [SomeResolver],
          loaders: (ctx: BaseContext) => (made++, { x: `x-${ctx.requestId}`, y: {} }),
        }),
        defineModule({ name: 'b', layer: 'core', loaders: () => ({ z: 'z' }) }),
      ]),
      runtime(),
    );
    counted(base('first'));
    made = 0;
    const lazy: any = counted(base('r3'));
    expect(made).toBe(0);
    expect(lazy.loaders.x).toBe('x-r3');
    const y = lazy.loaders.y;
    expect(lazy.loaders.y).toBe(y);
    expect(made).toBe(1);
    expect(lazy.loaders.z).toBe('z');
    // A loader replaced mid-request (InvitationService.accept rebuilds one) stays replaced.
    lazy.loaders.y = 'rebuilt';
    expect(lazy.loaders.y).toBe('rebuilt');
    const other: any = counted(base('r4'));
    other.loaders.y = 'set first';
    expect(other.loaders.y).toBe('set first');
    expect(other.loaders.x).toBe('x-r4');
    expect(other.loaders.y).toBe('set first');

    const clash = subgraph([
      defineModule({
        name: 'a',
        layer: 'core',
        resolvers: [SomeResolver],
        loaders: () => ({ x: 1 }),
      }),
      defineModule({ name: 'b', layer: 'core', loaders: () => ({ x: 2 }) }),
    ]);
    expect(() => compose.context(clash, runtime())(base('r'))).toThrow(
      /module b: loader x is taken/,
    );
  });

  it('chains handlers of one event type in module order', async () => {
    const calls: string[] = [];
    const def = subgraph([
      defineModule({
        name: 'a',
        layer: 'core',
        resolvers: [SomeResolver],
        consumers: { 'thing.done': async () => void calls.push('a') },
      }),
      defineModule({
        name: 'b',
        layer: 'reactive',
        consumers: () => ({ 'thing.done': async () => void calls.push('b') }),
      }),
    ]);
    const consumers = compose.consumers(def, runtime());
    await consumers['thing.done']!({}, {} as never, {} as never);
    expect(calls).toEqual(['a', 'b']);
  });

  it('operations: every entity, resolver and reference comes from exactly one module', () => {
    const entities = compose.entities(operationsSubgraph);
    const resolvers = compose.resolvers(operationsSubgraph);
    expect(new Set(entities).size).toBe(entities.length);
    expect(new Set(resolvers).size).toBe(resolvers.length);
    expect(Object.keys(compose.references(operationsSubgraph)).sort()).toEqual([
      'Deployment',
      'Flow',
      'FlowRun',
      'TaskRun',
      'WorkPool',
      'WorkQueue',
      'Workspace',
    ]);
    expect(operationsSubgraph.modules.map((m) => m.layer)).toEqual(
      [...operationsSubgraph.modules.map((m) => m.layer)].sort(
        (x, y) => operationsSubgraph.layers!.indexOf(x) - operationsSubgraph.layers!.indexOf(y),
      ),
    );
  });
});

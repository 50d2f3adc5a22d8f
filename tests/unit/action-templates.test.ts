/**
 * The `{{ dot.path }}` templates of automation actions (webhook bodies, notifications, run
 * parameters): lookups, missing values, escaping in JSON bodies, and that a template only ever
 * reads values (no expressions, no prototype reads, no second pass over substituted text).
 */
import { describe, expect, it } from 'vitest';
import {
  isJsonType,
  render,
  renderDeep,
  validateJsonTemplate,
  validateTemplate,
} from '../../subgraphs/operations/src/automations/actions/template.js';
import { templateValues } from '../../subgraphs/operations/src/automations/actions/template-values.js';
import type { EventJson } from '../../subgraphs/operations/src/event-store/emit.js';

const event = {
  id: 'ev-1',
  workspaceId: 'w',
  occurred: '2026-01-01T00:00:00.000Z',
  received: '2026-01-01T00:00:00.000Z',
  event: 'prefect.flow-run.Failed',
  resource: {
    id: 'prefect.flow-run.1',
    labels: { 'flowplane.resource.name': 'nightly-etl', 'acme.zone': 'north', acme: 'top' },
  },
  related: [{ id: 'prefect.flow.9', role: 'flow', labels: {} }],
  payload: { msg: 'line 1\nhe said "stop" \\ now', count: 3, ok: false, nested: { a: [1, 2] } },
  follows: null,
} as EventJson;

const values = templateValues({ id: 'auto-1', name: 'Say "hi"' }, {
  kind: 'TRIGGERED',
  eventId: 'firing-1',
  event,
} as never);

/** The `extensions.field` of the BAD_USER_INPUT error `f` throws (null when it accepts). */
function refusal(f: () => unknown): { field: string; message: string } | null {
  try {
    f();
    return null;
  } catch (e) {
    const err = e as { message: string; extensions: { code: string; field: string } };
    expect(err.extensions.code).toBe('BAD_USER_INPUT');
    return { field: err.extensions.field, message: err.message };
  }
}

describe('templateValues', () => {
  it('exposes the event (with its resource name), the automation and the firing', () => {
    expect(values).toMatchObject({
      event: { id: 'ev-1', resource: { id: 'prefect.flow-run.1', name: 'nightly-etl' } },
      automation: { id: 'auto-1', name: 'Say "hi"' },
      firing: { kind: 'TRIGGERED', id: 'firing-1' },
    });
    const none = templateValues({ id: 'a', name: 'n' }, {
      kind: 'RESOLVED',
      eventId: null,
      event: null,
    } as never);
    expect(render('[{{ event.id }}|{{ firing.kind }}]', none)).toBe('[|RESOLVED]');
  });
});

describe('render', () => {
  it('substitutes dot paths, with or without spaces inside the braces', () => {
    expect(
      render('{{event.event}} on {{  event.resource.name  }} by {{ automation.name }}', values),
    ).toBe('prefect.flow-run.Failed on nightly-etl by Say "hi"');
  });

  it('renders numbers, booleans, objects and arrays as text, array items by index', () => {
    expect(render('{{ event.payload.count }}/{{ event.payload.ok }}', values)).toBe('3/false');
    expect(render('{{ event.payload.nested }}', values)).toBe('{"a":[1,2]}');
    expect(render('{{ event.related.0.role }}:{{ event.payload.nested.a.1 }}', values)).toBe(
      'flow:2',
    );
  });

  it('renders a missing path, a null and a path through a scalar as ""', () => {
    expect(render('[{{ event.payload.nope }}]', values)).toBe('[]');
    expect(render('[{{ nothing.at.all }}]', values)).toBe('[]');
    expect(render('[{{ event.payload.count.x }}]', values)).toBe('[]');
    expect(render('[{{ event.follows }}]', values)).toBe('[]');
  });

  it('reads label keys that contain dots, the longest existing key winning', () => {
    expect(render('{{ event.resource.labels.acme.zone }}', values)).toBe('north');
    expect(render('{{ event.resource.labels.acme }}', values)).toBe('top');
    expect(render('{{ event.resource.labels.flowplane.resource.name }}', values)).toBe(
      'nightly-etl',
    );
  });

  it('reads own properties only: no prototype, constructor or function source', () => {
    for (const path of [
      'constructor',
      '__proto__',
      'event.constructor.name',
      'event.payload.toString',
      'automation.name.length',
      'event.payload.hasOwnProperty',
    ]) {
      expect(render(`[{{ ${path} }}]`, values), path).toBe('[]');
    }
  });

  it('does not evaluate expressions, and leaves text that is not a placeholder alone', () => {
    expect(render('{{ 1 + 1 }} {{ process.env.HOME }} {{ a[0] }} {x} }} {{', values)).toBe(
      '   {x} }} {{',
    );
  });

  it('substitutes once: placeholders inside values are not rendered again', () => {
    const v = { a: '{{ b }}', b: 'secret' };
    expect(render('{{ a }}', v)).toBe('{{ b }}');
  });

  it('in JSON mode escapes each substitution as the inside of a JSON string', () => {
    const body = render(
      '{"msg": "{{ event.payload.msg }}", "name": "{{ automation.name }}", "n": "{{ event.payload.nested }}"}',
      values,
      true,
    );
    expect(JSON.parse(body)).toEqual({
      msg: 'line 1\nhe said "stop" \\ now',
      name: 'Say "hi"',
      n: '{"a":[1,2]}',
    });
    // A value cannot close the string and add keys.
    const evil = { v: '", "admin": true, "x": "' };
    expect(JSON.parse(render('{"v": "{{ v }}"}', evil, true))).toEqual({ v: evil.v });
    // Outside JSON mode the value is inserted as is.
    expect(render('"{{ v }}"', { v: 'a"b' })).toBe('"a"b"');
  });
});

describe('renderDeep', () => {
  it('renders every string of a JSON value and keeps other values and keys', () => {
    const params = {
      '{{ automation.name }}': '{{ automation.name }}',
      list: ['{{ event.resource.id }}', 2, null, { deep: 'x{{ event.payload.count }}' }],
      flag: true,
    };
    expect(renderDeep(params, values)).toEqual({
      '{{ automation.name }}': 'Say "hi"',
      list: ['prefect.flow-run.1', 2, null, { deep: 'x3' }],
      flag: true,
    });
    // The input is not changed in place.
    expect(params.list[0]).toBe('{{ event.resource.id }}');
  });
});

describe('validateTemplate', () => {
  it('accepts dot paths, plain text and single braces', () => {
    for (const t of [
      '',
      'no placeholders',
      '{{ a }}',
      '{{a.b-c.0}} and {{ _x.y_z }}',
      '{ json: 1 }',
      '{{{ a }}}',
    ]) {
      expect(
        refusal(() => validateTemplate(t, 'f')),
        t,
      ).toBeNull();
    }
  });

  it('refuses expressions and unclosed placeholders, naming the field', () => {
    for (const t of [
      '{{ a + b }}',
      '{{ }}',
      '{{ a..b }}',
      '{{ 0.a }}',
      '{{ a b }}',
      '{{ a() }}',
      '{{ a[0] }}',
    ]) {
      expect(
        refusal(() => validateTemplate(t, 'actions.0.webhook.body')),
        t,
      ).toMatchObject({
        field: 'actions.0.webhook.body',
        message: expect.stringContaining('Not a dot path'),
      });
    }
    expect(refusal(() => validateTemplate('hello {{ name', 'x'))).toEqual({
      field: 'x',
      message: 'An unclosed {{ placeholder',
    });
    expect(refusal(() => validateTemplate('{{ a }} {{', 'x'))?.message).toContain('unclosed');
  });
});

describe('JSON bodies', () => {
  it('recognises JSON content types', () => {
    for (const t of [
      'application/json',
      'APPLICATION/JSON',
      'application/json; charset=utf-8',
      ' application/vnd.api+json ',
      'application/problem+json',
    ]) {
      expect(isJsonType(t), t).toBe(true);
    }
    for (const t of [
      'text/plain',
      'application/jsonx',
      'application/json-seq',
      'text/json',
      'application/x-www-form-urlencoded',
    ]) {
      expect(isJsonType(t), t).toBe(false);
    }
  });

  it('validateJsonTemplate accepts JSON with placeholders and refuses what is not JSON', () => {
    expect(
      refusal(() => validateJsonTemplate('{"a": "{{ x }}", "n": {{ y }}}', 'body')),
    ).toBeNull();
    expect(refusal(() => validateJsonTemplate('{"a": {{ x }', 'body'))).toMatchObject({
      field: 'body',
    });
    expect(refusal(() => validateJsonTemplate('{"a": 1,}', 'body'))).toMatchObject({
      field: 'body',
    });
  });

  it('a JSON body stays JSON whatever the values: a placeholder outside a string is a JSON value', () => {
    const template = '{"n": {{ n }}, "s": "{{ n }}", "list": [{{ n }}], "k\\"{{ n }}": 1}';
    expect(refusal(() => validateJsonTemplate(template, 'body'))).toBeNull();
    const cases: [unknown, unknown][] = [
      [3, 3],
      [false, false],
      [undefined, null],
      [null, null],
      ['north', 'north'],
      ['1, "admin": true', '1, "admin": true'],
      [{ a: [1] }, { a: [1] }],
    ];
    for (const [n, expected] of cases) {
      const body = JSON.parse(render(template, n === undefined ? {} : { n }, true));
      expect(body.n, String(n)).toEqual(expected);
      expect(body.list, String(n)).toEqual([expected]);
      expect(Object.keys(body), String(n)).toEqual([
        'n',
        's',
        'list',
        expect.stringMatching(/^k"/),
      ]);
    }
    expect(JSON.parse(render(template, { n: 'a"b' }, true))).toEqual({
      n: 'a"b',
      s: 'a"b',
      list: ['a"b'],
      'k"a"b': 1,
    });
  });
});

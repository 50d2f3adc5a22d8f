import { GraphQLJSON } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';
import type { EventResourceJson } from '../event-store/event.entity.js';

/** A resource as an event names it (REFERENCE §6). */
@ObjectType({ description: 'A resource an event is about or related to, with its labels.' })
export class EventResource {
  @Field(() => String, { description: 'Dotted resource id, e.g. `flowplane.flow-run.<uuid>`.' })
  id!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The part a related resource plays (e.g. `deployment`); null on the primary one.',
  })
  role?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Its display name (the `flowplane.resource.name` label), when it has one.',
  })
  name?: string | null;

  @Field(() => GraphQLJSON, { description: 'Labels: a JSON object of string values.' })
  labels!: Record<string, string>;
}

export function toEventResource(r: EventResourceJson, primary: boolean): EventResource {
  return {
    id: r.id,
    role: primary ? null : (r.role ?? null),
    name: r.labels['flowplane.resource.name'] ?? null,
    labels: r.labels,
  };
}

import { Entity, Property, Unique } from '@mikro-orm/core';
import { Directive, Field, ObjectType } from 'type-graphql';
import { RunBase } from '../orchestration/run.base.js';

/** One execution of a task inside a flow run; (flow run, task key, dynamic key) is unique. */
@ObjectType({ description: 'One execution of a task inside a flow run.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'task_run' })
@Unique({ properties: ['flowRunId', 'taskKey', 'dynamicKey'] })
export class TaskRun extends RunBase {
  @Property({ type: 'uuid' })
  flowRunId!: string;

  @Field(() => String, { description: 'Identifies the task within its flow.' })
  @Property({ type: 'string', length: 200 })
  taskKey!: string;

  @Field(() => String, {
    description: 'Distinguishes calls of one task within a flow run (e.g. a loop index).',
  })
  @Property({ type: 'string', length: 200 })
  dynamicKey!: string;

  @Field(() => String, { nullable: true, description: 'Cache key of its result.' })
  @Property({ type: 'string', length: 500, nullable: true })
  cacheKey?: string | null = null;
}

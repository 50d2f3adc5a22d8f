import { Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { connectionType } from '../../../../lib/pagination.js';
import { Log } from './log.entity.js';

/** Named levels, as Python's logging (and so most workers) numbers them. */
export enum LogLevel {
  NOTSET = 0,
  DEBUG = 10,
  INFO = 20,
  WARNING = 30,
  ERROR = 40,
  CRITICAL = 50,
}
registerEnumType(LogLevel, {
  name: 'LogLevel',
  description: 'A named log level; its number is the level it stands for.',
  valuesConfig: {
    NOTSET: { description: '0' },
    DEBUG: { description: '10' },
    INFO: { description: '20' },
    WARNING: { description: '30' },
    ERROR: { description: '40' },
    CRITICAL: { description: '50' },
  },
});

@InputType({ description: 'One log line to store.' })
export class LogEntryInput {
  @Field(() => ID, {
    nullable: true,
    description: 'The flow run it belongs to; give this, workerId, or both.',
  })
  flowRunId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description:
      'The worker that sent it (a worker of this workspace); without flowRunId, a line about the worker itself.',
  })
  workerId?: string | null;

  @Field(() => ID, { nullable: true, description: 'The task run it belongs to, if any.' })
  taskRunId?: string | null;

  @Field(() => Int, { nullable: true, description: 'Level 0 to 50; give this or levelName.' })
  level?: number | null;

  @Field(() => LogLevel, { nullable: true, description: 'Named level; give this or level.' })
  levelName?: LogLevel | null;

  @Field(() => String, { description: 'The message (at most 32 KiB).' })
  message!: string;

  @Field(() => Date, { description: 'When it was logged.' })
  timestamp!: Date;
}

@InputType({ description: 'A batch of log lines of one workspace (of its runs or its workers).' })
export class WriteLogsInput {
  @Field(() => ID, { description: 'The workspace of the runs.' })
  workspaceId!: string;

  @Field(() => [LogEntryInput], { description: 'At most 1,000 lines.' })
  logs!: LogEntryInput[];
}

@InputType({ description: 'Which log lines to list; conditions combine with AND.' })
export class LogFilter {
  @Field(() => ID, { nullable: true, description: 'Lines of this flow run.' })
  flowRunId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Lines of this task run.' })
  taskRunId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Lines this worker sent (needs see_workers as well as see_logs).',
  })
  workerId?: string | null;

  @Field(() => Int, { nullable: true, description: 'Lines at this level or above.' })
  levelAtLeast?: number | null;

  @Field(() => Date, { nullable: true, description: 'Lines logged at or after this time.' })
  since?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Lines logged before this time.' })
  until?: Date | null;
}

export const LogConnection = connectionType(Log, 'Log');
export type LogConnection = InstanceType<typeof LogConnection>;

@InputType({ description: 'How long a workspace keeps its log lines.' })
export class SetLogRetentionInput {
  @Field(() => ID, { description: 'The workspace.' })
  workspaceId!: string;

  @Field(() => Int, { description: 'Days, 1 to 365 (the default is 30).' })
  days!: number;
}

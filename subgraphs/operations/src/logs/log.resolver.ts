import { Arg, Args, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from 'type-graphql';
import { ConnectionArgs } from '../../../../lib/pagination.js';
import type { OperationsContext } from '../context.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { Worker } from '../work-pools/worker.entity.js';
import { Log } from './log.entity.js';
import {
  LogConnection,
  LogFilter,
  LogLevel,
  SetLogRetentionInput,
  WriteLogsInput,
} from './log.inputs.js';
import { LogService } from './log.service.js';

@Resolver(() => Log)
export class LogResolver {
  @FieldResolver(() => LogLevel, {
    nullable: true,
    description: 'The named level, when the level is one of the named ones.',
  })
  levelName(@Root() log: Log): LogLevel | null {
    return log.level in LogLevel ? (log.level as LogLevel) : null;
  }

  @Mutation(() => Int, {
    description:
      'Store up to 1,000 log lines of runs in one call (needs write_logs); returns the count.',
  })
  writeLogs(
    @Arg('input', () => WriteLogsInput) input: WriteLogsInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<number> {
    return new LogService(ctx).write(input);
  }

  @Mutation(() => Workspace, {
    description:
      'Set how many days the workspace keeps its log lines, 1 to 365 (needs manage_workspace_settings). Lines older than that, by their timestamp, are purged within about ten minutes.',
  })
  setLogRetention(
    @Arg('input', () => SetLogRetentionInput) input: SetLogRetentionInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Workspace> {
    return new LogService(ctx).setRetention(input);
  }
}

@Resolver(() => Workspace)
export class WorkspaceLogsResolver {
  @FieldResolver(() => LogConnection, {
    description: 'Log lines of the workspace, by timestamp then arrival (needs see_logs).',
  })
  logs(
    @Root() workspace: Workspace,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => LogFilter, { nullable: true, description: 'Which lines to list.' })
    filter: LogFilter | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<LogConnection> {
    return new LogService(ctx).list(workspace.id, args, filter);
  }

  @FieldResolver(() => Int, {
    description: 'Days the workspace keeps its log lines (default 30).',
  })
  logRetentionDays(@Root() workspace: Workspace, @Ctx() ctx: OperationsContext): Promise<number> {
    return new LogService(ctx).retention(workspace.id);
  }
}

@Resolver(() => Worker)
export class WorkerLogsResolver {
  @FieldResolver(() => LogConnection, {
    description:
      'The lines this worker sent, about itself and the runs it handled, by timestamp then arrival (needs see_logs).',
  })
  logs(
    @Root() worker: Worker,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() ctx: OperationsContext,
  ): Promise<LogConnection> {
    return new LogService(ctx).list(worker.workspaceId, args, { workerId: worker.id });
  }
}

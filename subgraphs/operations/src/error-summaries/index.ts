import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { errorSummaryConsumers } from './error-summary.consumers.js';
import {
  ErrorSummary,
  SummaryAccount,
  SummaryLlmUsage,
  SummaryWorkspace,
} from './error-summary.entity.js';
import {
  FailureGroupResolver,
  FlowRunErrorSummaryResolver,
  WorkspaceFailureGroupsResolver,
} from './error-summary.resolver.js';
import { errorSummaryService } from './summary-writer.service.js';

/**
 * Error summaries of failed and crashed runs and their failure groups: a consumer group of its
 * own records what to summarise after the state change committed; the `error-summaries` job
 * writes the summaries (built-in engine, or a language model behind the same interface).
 */
export const errorSummariesModule = defineModule<OperationsContext>({
  name: 'error-summaries',
  layer: 'reactive',
  resolvers: [FlowRunErrorSummaryResolver, WorkspaceFailureGroupsResolver, FailureGroupResolver],
  entities: [ErrorSummary, SummaryAccount, SummaryWorkspace, SummaryLlmUsage],
  consumerGroups: () => ({ 'error-summaries': errorSummaryConsumers }),
  jobs: (sub) => [errorSummaryService(sub)],
});

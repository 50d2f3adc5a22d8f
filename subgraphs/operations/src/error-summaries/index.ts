import type { Subgraph } from '../../../../lib/subgraph.js';
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
 * The error-summaries module (reactive layer): what it contributes to the operations subgraph.
 * Registered in `../index.ts`; shaped like the module manifests of ARCHITECTURE.md.
 */
export const errorSummariesModule = {
  name: 'error-summaries',
  resolvers: [FlowRunErrorSummaryResolver, WorkspaceFailureGroupsResolver, FailureGroupResolver],
  entities: [ErrorSummary, SummaryAccount, SummaryWorkspace, SummaryLlmUsage],
  consumerGroups: { 'error-summaries': errorSummaryConsumers },
  services: (sub: Subgraph<OperationsContext>) => [errorSummaryService(sub)],
} as const;

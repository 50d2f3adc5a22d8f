import type { SubgraphDefinition } from '../../../lib/subgraph.js';
import { extendContext, type OperationsContext } from './context.js';
import { flowConsumers } from './flows/flow.consumers.js';
import { Flow } from './flows/flow.entity.js';
import { FlowResolver, WorkspaceFlowsResolver } from './flows/flow.resolver.js';
import { FlowService } from './flows/flow.service.js';
import { migrations } from './migrations/index.js';
import { Workspace } from './tenancy/workspace.type.js';
import { deleteWorkspaceConfiguration } from './common/workspace-cleanup.js';
import { Variable } from './variables/variable.entity.js';
import { BlockDocument } from './blocks/block-document.entity.js';
import { BlockSchema } from './blocks/block-schema.entity.js';
import { BlockType } from './blocks/block-type.entity.js';
import {
  BlockDocumentResolver,
  BlockSchemaResolver,
  BlockTypeResolver,
  WorkspaceBlocksResolver,
} from './blocks/block.resolver.js';
import { Artifact } from './artifacts/artifact.entity.js';
import { ArtifactResolver, WorkspaceArtifactsResolver } from './artifacts/artifact.resolver.js';
import { Log } from './logs/log.entity.js';
import { ObjectAccess } from './object-access/object-access.entity.js';
import {
  BlockDocumentAccessResolver,
  ObjectAccessResolver,
} from './object-access/object-access.resolver.js';
import {
  ConcurrencyLeaseSlot,
  ConcurrencyLimit,
} from './concurrency-limits/concurrency-limit.entity.js';
import {
  ConcurrencyLimitResolver,
  WorkspaceConcurrencyLimitsResolver,
} from './concurrency-limits/concurrency-limit.resolver.js';
import { LogResolver, WorkspaceLogsResolver } from './logs/log.resolver.js';
import { VariableResolver, WorkspaceVariablesResolver } from './variables/variable.resolver.js';

/** operations: flows now; deployments, runs, work pools and the orchestration engine follow. */
export const operationsSubgraph: SubgraphDefinition<OperationsContext> = {
  name: 'operations',
  resolvers: [
    FlowResolver,
    WorkspaceFlowsResolver,
    VariableResolver,
    WorkspaceVariablesResolver,
    BlockTypeResolver,
    BlockSchemaResolver,
    BlockDocumentResolver,
    WorkspaceBlocksResolver,
    LogResolver,
    WorkspaceLogsResolver,
    ArtifactResolver,
    WorkspaceArtifactsResolver,
    ConcurrencyLimitResolver,
    WorkspaceConcurrencyLimitsResolver,
    ObjectAccessResolver,
    BlockDocumentAccessResolver,
  ],
  orphanedTypes: [Workspace],
  entities: [
    Flow,
    Variable,
    BlockType,
    BlockSchema,
    BlockDocument,
    Log,
    Artifact,
    ConcurrencyLimit,
    ConcurrencyLeaseSlot,
    ObjectAccess,
  ],
  migrations,
  extendContext,
  referenceResolvers: () => ({
    Flow: {
      __resolveReference: (ref: { id: string }, ctx: OperationsContext) =>
        new FlowService(ctx).reference(ref.id),
    },
    Workspace: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
  }),
  consumers: () => ({
    ...flowConsumers,
    'workspace.deleted': async (p: { workspaceId: string }, em, event) => {
      await flowConsumers['workspace.deleted']!(p, em, event);
      await deleteWorkspaceConfiguration(p.workspaceId, em);
    },
  }),
};

import { defineModule } from '../../../../lib/module.js';
import type { AccessContext } from '../context.js';
import { auditConsumers } from './audit.consumers.js';
import { AuditChain, AuditEvent, AuditMembership, AuditWorkspace } from './audit-event.entity.js';
import { AuditResolver } from './audit.resolver.js';
import { auditRetentionService } from './audit-retention.js';

/** The audit log: written by its own consumer group from every subgraph's events, kept and read. */
export const auditModule = defineModule<AccessContext>({
  name: 'audit',
  layer: 'core',
  resolvers: [AuditResolver],
  entities: [AuditEvent, AuditChain, AuditMembership, AuditWorkspace],
  consumerGroups: () => ({ audit: auditConsumers }),
  jobs: (sub) => [auditRetentionService(sub.orm)],
});

import type { ApolloServerPlugin } from '@apollo/server';
import type { Principal } from '../../../lib/principal.js';
import { log } from '../../../lib/log.js';
import { graphqlDuration, graphqlRequests, operationLabel } from '../../../lib/metrics.js';

interface LogContext {
  principal: Principal;
  requestId: string;
  /** Set on the subscription engine's deliveries: logged per subscription, not per event. */
  delivery?: boolean;
}

/**
 * Request metrics (count, status and duration by operation), and one structured log line per
 * request (principal, operation, duration, status, error codes),
 * and the request id on every INTERNAL_SERVER_ERROR, so a user's report finds its log line.
 */
export function requestLogPlugin(enabled: boolean): ApolloServerPlugin<LogContext> {
  return {
    async requestDidStart(rc) {
      const started = performance.now();
      return {
        async willSendResponse(rc2) {
          const body = rc2.response.body;
          const errors = body.kind === 'single' ? (body.singleResult.errors ?? []) : [];
          for (const e of errors) {
            if (e.extensions?.code === 'INTERNAL_SERVER_ERROR') {
              (e.extensions as Record<string, unknown>).requestId = rc2.contextValue.requestId;
            }
          }
          if (rc2.contextValue.delivery) return;
          const operation = operationLabel(rc2.operationName);
          const type = rc2.operation?.operation ?? 'unknown';
          graphqlRequests.inc({ operation, type, status: rc2.response.http.status ?? 200 });
          graphqlDuration.observe({ operation, type }, (performance.now() - started) / 1000);
          if (!enabled) return;
          const p = rc.contextValue?.principal;
          log.info(
            {
              requestId: rc.contextValue?.requestId,
              principal: p ? `${p.type}:${p.id}` : undefined,
              apiKeyId: p?.apiKeyId,
              operation: rc2.operationName ?? undefined,
              type: rc2.operation?.operation,
              status: rc2.response.http.status ?? 200,
              errors: errors.length ? errors.map((e) => e.extensions?.code) : undefined,
              durationMs: Math.round((performance.now() - started) * 10) / 10,
            },
            'request',
          );
        },
      };
    },
  };
}

import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * OpenTelemetry traces, off unless configured (OTEL_EXPORTER_OTLP_ENDPOINT, or a test's
 * exporter). Off, every helper here is one boolean test: the hot path pays nothing else.
 * On, W3C `traceparent` links the HTTP server, the gateway's subgraph calls over HTTP, and the
 * outbox events (their actor carries it) to the consumers that handle them, across processes.
 */
let enabled = false;
let provider: BasicTracerProvider | null = null;
const tracer = () => trace.getTracer('flowplane');

export interface TracingOptions {
  serviceName: string;
  /** OTLP/HTTP endpoint (…/v1/traces is appended to a base URL). */
  otlpEndpoint?: string;
  /** Spans go here instead (tests: InMemorySpanExporter), exported at once. */
  exporter?: SpanExporter;
}

export function configureTracing(opts: TracingOptions): void {
  if (!opts.exporter && !opts.otlpEndpoint) return;
  const processor = opts.exporter
    ? new SimpleSpanProcessor(opts.exporter)
    : new BatchSpanProcessor(
        new OTLPTraceExporter({
          url: opts.otlpEndpoint!.replace(/\/?$/, '').replace(/(\/v1\/traces)?$/, '/v1/traces'),
        }),
        { scheduledDelayMillis: 200 },
      );
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName }),
    spanProcessors: [processor],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  enabled = true;
}

export async function shutdownTracing(): Promise<void> {
  if (!provider) return;
  await provider.forceFlush();
  await provider.shutdown();
  provider = null;
  enabled = false;
  trace.disable();
  context.disable();
  propagation.disable();
}

export const tracingEnabled = (): boolean => enabled;

function parentFrom(carrier: Record<string, unknown> | undefined): Context {
  return carrier ? propagation.extract(context.active(), carrier) : context.active();
}

async function inSpan<T>(
  name: string,
  kind: SpanKind,
  parent: Context,
  attributes: Record<string, string>,
  fn: () => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(name, { kind, attributes }, parent, async (span: Span) => {
    try {
      return await fn();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The server span of one HTTP request, continuing the caller's `traceparent`. */
export function traceHttpRequest<T>(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  fn: () => Promise<T>,
): Promise<T> {
  if (!enabled) return fn();
  return inSpan(
    `${method} ${path}`,
    SpanKind.SERVER,
    parentFrom(headers),
    {
      'http.request.method': method,
      'url.path': path,
    },
    fn,
  );
}

/** A client span around an outgoing call; `headers` receive its `traceparent`. */
export function traceClientCall<T>(
  name: string,
  headers: Record<string, string | number>,
  fn: () => Promise<T>,
): Promise<T> {
  if (!enabled) return fn();
  return inSpan(name, SpanKind.CLIENT, context.active(), {}, () => {
    propagation.inject(context.active(), headers);
    return fn();
  });
}

/** The `traceparent` of the active span, to store with an outbox event (null when off). */
export function currentTraceparent(): string | null {
  if (!enabled) return null;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** The consumer span of one domain event, a child of the request that recorded it. */
export function traceConsumer<T>(
  consumer: string,
  type: string,
  traceparent: string | null | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  if (!enabled) return fn();
  return inSpan(
    `consume ${type}`,
    SpanKind.CONSUMER,
    parentFrom(traceparent ? { traceparent } : {}),
    {
      'messaging.consumer.group.name': consumer,
      'messaging.message.type': type,
    },
    fn,
  );
}

/** The trace id of the active span, for log lines (undefined when off). */
export function currentTraceId(): string | undefined {
  if (!enabled) return undefined;
  return trace.getSpan(context.active())?.spanContext().traceId;
}

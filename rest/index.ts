import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { prefix, type HttpHandler } from '../lib/http.js';
import { EventsSocket } from './events-socket.js';
import { openApiDocument } from './openapi.js';
import { rootRoute, type Route } from './route.js';
import { RestRouter, type Pipeline } from './router.js';
import { routes } from './routes/index.js';

export interface RestOptions {
  /** Log paths no route answers (what a client needs that is not there). */
  logUnknown: boolean;
}

/** The REST layer's additions to the public HTTP server. */
export interface RestLayer {
  /** Joins the public server's handlers (`/api/*`). */
  handlers: HttpHandler[];
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;
  /** Closes the event sockets (shutdown). */
  close(): void;
}

/** Prefect's REST API over the gateway's pipeline (`/api/*`). */
export function createRestLayer(pipeline: Pipeline, opts: RestOptions): RestLayer {
  let document: unknown = null;
  const all: Route[] = [
    ...routes,
    rootRoute('GET', '/openapi.json', {
      summary: 'This document: the OpenAPI 3.1 description of the REST layer',
      tags: ['Root'],
      result: () => (document ??= openApiDocument(all)),
    }),
  ];
  const router = new RestRouter(pipeline, all, opts.logUnknown);
  const events = new EventsSocket(router, opts.logUnknown);
  return {
    handlers: [prefix('/api/', (req, res) => router.handle(req, res))],
    upgrade: (req, socket, head) => events.upgrade(req, socket, head),
    close: () => events.close(),
  };
}
